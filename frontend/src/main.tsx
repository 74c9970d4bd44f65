import { render } from "preact";
import { loadSession } from "./api/client";
import { App } from "./app";
import { installListeningCurves } from "./player/curves";
import { installMark } from "./player/mark";
import { audio } from "./player/state";
import { installProgressSync } from "./player/sync";
import { installLinkInterception } from "./router";
import { installShortcuts } from "./shortcuts";
import "./styles/app.css";

async function boot(): Promise<void> {
  document.body.append(audio);
  installLinkInterception();
  installShortcuts();
  installProgressSync();
  installListeningCurves();
  installMark();
  try {
    await loadSession();
  } catch {
    // the app still renders; each page shows the API's error where it failed
  }
  render(<App />, document.getElementById("app")!);
}

void boot();
