import { render } from "solid-js/web";
import App from "./App";
import { applyTheme } from "./components/UserSettings";
import "./styles.css";

applyTheme();
const root = document.getElementById("root");
if (root) {
  root.textContent = "";
  render(() => <App />, root);
}
