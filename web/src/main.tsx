import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App.js";
import { applyTheme, storedTheme } from "./app/theme.js";
import "./styles/theme.css";
import "./styles/app.css";

// Before the first render, so a chosen theme never flashes the other one.
applyTheme(storedTheme());

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
