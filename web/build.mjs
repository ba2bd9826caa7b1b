// Builds the app into dist/ (and, with --tests, the unit tests into dist-test/).
//
// dist/site/                   what a web server serves (AWS behind CloudFront, and `serve`); the
//   index.html                 CSP comes from the server's headers
//   assets/app-<sha256>.{js,css}
//   sample/dashboard.json      the sample dashboard (docs/sample/)
// dist/standalone.html         one self-contained page: the same app inlined, with a CSP <meta>
//                              that allows exactly its inline script and style by hash; the
//                              local command puts a dashboard's JSON into it
//                              (local_runtime/viewer.py)
// dist/build-report.json       sizes, for the budget test
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const root = fileURLToPath(new URL(".", import.meta.url));
const at = (path) => root + path;

// The marker the local command replaces with the dashboard's JSON (escaped so that it cannot
// end the element early). Nothing else in the page may contain it.
export const DATA_MARKER = "<!--goodreads-stats:dashboard-data-->";
// Covers are the only network loads: from the hosts the book processor records covers from.
export const COVER_ORIGINS = ["https://covers.openlibrary.org", "https://books.google.com"];
// Budget (issue 12): the app's JS+CSS, gzipped.
export const BUDGET_GZIP_BYTES = 350 * 1024;

const sha256 = (text) => createHash("sha256").update(text, "utf8").digest("base64");

function checkTypes() {
  execFileSync(process.execPath, [at("scripts/gen-types.mjs"), "--check"], { stdio: "inherit" });
}

/** The app's JS and CSS, named by their content's hash (long-cacheable; esbuild's own [hash]
 * depends on where the checkout is, which would make two builds of one commit differ). */
async function bundleApp() {
  rmSync(at("dist"), { recursive: true, force: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: "src/main.tsx" },
    bundle: true,
    minify: true,
    format: "iife",
    target: ["es2020", "chrome100", "firefox100", "safari15"],
    outdir: "dist/site/assets",
    write: false,
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "eof",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  mkdirSync(at("dist/site/assets"), { recursive: true });
  const named = {};
  for (const file of result.outputFiles) {
    const extension = file.path.endsWith(".css") ? "css" : file.path.endsWith(".js") ? "js" : null;
    if (extension === null) throw new Error(`unexpected output ${file.path}`);
    const digest = createHash("sha256").update(file.contents).digest("hex").slice(0, 12);
    named[extension] = `assets/app-${digest}.${extension}`;
    writeFileSync(at(`dist/site/${named[extension]}`), file.contents);
  }
  if (!named.js || !named.css) throw new Error("expected one .js and one .css output");
  return named;
}

function inlineSafe(text, kind) {
  // An inline element ends at the first `</script` or `</style`, whatever the context.
  if (new RegExp(`</${kind}`, "i").test(text)) throw new Error(`the ${kind} contains </${kind}`);
  if (text.includes(DATA_MARKER)) throw new Error(`the ${kind} contains the data marker`);
  return text;
}

function writePages({ js, css }) {
  const jsText = inlineSafe(readFileSync(at(`dist/site/${js}`), "utf8"), "script");
  const cssText = inlineSafe(readFileSync(at(`dist/site/${css}`), "utf8"), "style");

  const index = readFileSync(at("src/index.html"), "utf8")
    .replace("{{APP_CSS}}", `./${css}`)
    .replace("{{APP_JS}}", `./${js}`);
  writeFileSync(at("dist/site/index.html"), index);

  const policy = [
    "default-src 'none'",
    `script-src 'sha256-${sha256(jsText)}'`,
    `style-src 'sha256-${sha256(cssText)}'`,
    `img-src ${COVER_ORIGINS.join(" ")}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  const standalone = readFileSync(at("src/standalone.html"), "utf8")
    .replace("{{CSP}}", policy)
    .replace("{{DATA}}", DATA_MARKER)
    // Function replacements: the bundle may contain `$&`, which a string replacement expands.
    .replace("{{APP_CSS}}", () => cssText)
    .replace("{{APP_JS}}", () => jsText);
  writeFileSync(at("dist/standalone.html"), standalone);
  return { jsText, cssText };
}

function copySample() {
  mkdirSync(at("dist/site/sample"), { recursive: true });
  copyFileSync(at("../docs/sample/dashboard.json"), at("dist/site/sample/dashboard.json"));
}

function report({ jsText, cssText }) {
  const sizes = {
    js_bytes: Buffer.byteLength(jsText),
    css_bytes: Buffer.byteLength(cssText),
    js_gzip_bytes: gzipSync(jsText, { level: 9 }).length,
    css_gzip_bytes: gzipSync(cssText, { level: 9 }).length,
    budget_gzip_bytes: BUDGET_GZIP_BYTES,
  };
  sizes.total_gzip_bytes = sizes.js_gzip_bytes + sizes.css_gzip_bytes;
  writeFileSync(at("dist/build-report.json"), JSON.stringify(sizes, null, 2) + "\n");
  const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
  console.log(
    `web: app.js ${kb(sizes.js_bytes)} (${kb(sizes.js_gzip_bytes)} gzip), ` +
      `app.css ${kb(sizes.css_bytes)} (${kb(sizes.css_gzip_bytes)} gzip); ` +
      `budget ${kb(BUDGET_GZIP_BYTES)} gzip`,
  );
  if (sizes.total_gzip_bytes > BUDGET_GZIP_BYTES) {
    throw new Error(`the app's JS+CSS is ${kb(sizes.total_gzip_bytes)} gzipped, over the budget`);
  }
}

async function bundleTests() {
  rmSync(at("dist-test"), { recursive: true, force: true });
  const tests = readdirSync(at("test")).filter((name) => name.endsWith(".test.ts"));
  await esbuild.build({
    entryPoints: tests.map((name) => at(`test/${name}`)),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outdir: at("dist-test"),
    outExtension: { ".js": ".mjs" },
    jsx: "automatic",
    jsxImportSource: "preact",
    packages: "external",
    logLevel: "warning",
  });
}

checkTypes();
if (process.argv.includes("--tests")) {
  await bundleTests();
} else {
  const assets = await bundleApp();
  report(writePages(assets));
  copySample();
}
