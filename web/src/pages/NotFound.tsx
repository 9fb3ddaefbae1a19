import { Link } from "react-router";
import { useTitle } from "../app/Layout.js";

export function NotFoundPage() {
  useTitle("Not found");
  return (
    <section>
      <h1>Nothing here</h1>
      <p>
        This page does not exist. <Link to="/runs">See the runs</Link>.
      </p>
    </section>
  );
}
