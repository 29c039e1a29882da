// Builds dist/ once before the suites run, so bundle tests always see the current sources.
const { execFileSync } = require('child_process');
const path = require('path');
module.exports = async function () {
  execFileSync(process.execPath, [path.join(__dirname, '..', 'tools', 'build.js')], { stdio: 'inherit' });
};
