import { render } from "preact";
import "./styles.css";
import { readInlineDashboard, type FullDashboard } from "./data/load";
import { App } from "./ui/App";

const root = document.getElementById("app")!;
let inline: FullDashboard | null = null;
let unreadable: string | null = null;
try {
  inline = readInlineDashboard(document);
} catch (error) {
  unreadable = (error as Error).message;
}
if (unreadable !== null) {
  // The page carries data that is not a dashboard: say so rather than show an empty one.
  root.textContent = `This page's dashboard could not be read: ${unreadable}.`;
} else {
  root.textContent = "";
  render(<App inline={inline} />, root);
}
