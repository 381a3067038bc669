import { Navigate, Route, Router } from "@solidjs/router";
import type { JSX } from "solid-js";
import { getToken } from "./api/client";
import InvitePage from "./pages/Invite";
import { Login, Register } from "./pages/Auth";
import Main from "./pages/Main";
import AddBot from "./pages/AddBot";

function Authed(props: { children?: JSX.Element }) {
  if (!getToken()) return <Navigate href={`/login?next=${encodeURIComponent(location.pathname)}`} />;
  return props.children;
}

export default function App() {
  return (
    <Router>
      <Route path="/login" component={Login} />
      <Route path="/register" component={Register} />
      <Route path="/invite/:code" component={InvitePage} />
      <Route path="/oauth2/authorize" component={() => <Authed><AddBot /></Authed>} />
      <Route path="/channels/:guildId/:channelId?/:postId?" component={() => <Authed><Main /></Authed>} />
      <Route path="*" component={() => <Navigate href={getToken() ? "/channels/@me" : "/login"} />} />
    </Router>
  );
}
