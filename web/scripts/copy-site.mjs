// Copies the built site (web/dist/site) to site/ at the sandbox root, so that Pants can package
// it with index.html at the archive's root (web/BUILD, target :site).
import { cpSync } from "node:fs";

cpSync("web/dist/site", "site", { recursive: true });
