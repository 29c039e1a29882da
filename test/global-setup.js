// Builds dist/ once before the suites run, so bundle tests always see the current sources: the full
// build, and the named profiles (profiles/*.json) into dist/<profile>/.
const { execFileSync } = require('child_process');
const path = require('path');
module.exports = async function () {
  const build = path.join(__dirname, '..', 'tools', 'build.js');
  execFileSync(process.execPath, [build], { stdio: 'inherit' });
  execFileSync(process.execPath, [build, '--quiet', '--profile', 'udp-board', '--profile', 'cyphal-node', '--profile', 'web-board', '--profile', 'ipv6-board'], { stdio: 'inherit' });
};
