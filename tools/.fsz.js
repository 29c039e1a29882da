const acorn=require("acorn"),fs=require("fs");
const src=fs.readFileSync(process.argv[2],"utf8");
const ast=acorn.parse(src,{ecmaVersion:5});
const out=[];
function walk(n,depth,name){ if(!n||typeof n.type!=="string")return;
  if((n.type==="FunctionDeclaration"||n.type==="FunctionExpression")&&depth<3){out.push([n.end-n.start,(n.id&&n.id.name)||name||"?",depth]);}
  for(const k in n){const v=n[k]; if(k==="type")continue; const nm=(n.type==="AssignmentExpression"&&n.left&&n.left.property)?n.left.property.name:(n.type==="Property"&&n.key?(n.key.name||n.key.value):(n.type==="VariableDeclarator"&&n.id?n.id.name:name));
   if(Array.isArray(v))v.forEach(x=>walk(x,depth+((n.type||"").startsWith("Function")?1:0),nm)); else if(v&&typeof v.type==="string")walk(v,depth+((n.type||"").startsWith("Function")?1:0),nm);}
}
walk(ast,0,null);
out.sort((a,b)=>b[0]-a[0]);
let tot=0;for(const o of out)if(o[2]===0)tot+=o[0];
console.log("functions:",out.length,"top-level bytes:",tot,"file:",src.length);
console.log(out.slice(0,60).map(o=>o[0]+" "+o[1]+(o[2]?"(d"+o[2]+")":"")).join("\n"));
