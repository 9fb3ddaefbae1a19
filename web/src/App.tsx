import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { AuthProvider } from "./app/auth.js";
import { Layout, RequireAuth } from "./app/Layout.js";
import { AgentsPage } from "./pages/Agents.js";
import { AuditPage } from "./pages/Audit.js";
import { NotFoundPage } from "./pages/NotFound.js";
import { ProjectsPage } from "./pages/Projects.js";
import { RunPage } from "./pages/Run.js";
import { RunsPage } from "./pages/Runs.js";
import { SignInPage } from "./pages/SignIn.js";
import { TriggerPage } from "./pages/Trigger.js";

/** The pages; every one but sign-in needs a token. slipway serve answers index.html for each path. */
export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route
            element={
              <RequireAuth>
                <Layout />
              </RequireAuth>
            }
          >
            <Route index element={<Navigate to="/runs" replace />} />
            <Route path="runs" element={<RunsPage />} />
            <Route path="runs/:id" element={<RunPage />} />
            <Route path="projects" element={<ProjectsPage />} />
            <Route path="projects/:name/trigger" element={<TriggerPage />} />
            <Route path="agents" element={<AgentsPage />} />
            <Route path="audit" element={<AuditPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}
