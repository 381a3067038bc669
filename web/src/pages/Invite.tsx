import { useNavigate, useParams } from "@solidjs/router";
import { Show, createResource, createSignal } from "solid-js";
import { ApiError, api, getToken } from "../api/client";
import type * as T from "../api/types";
import * as actions from "../state/actions";

export default function InvitePage() {
  const params = useParams();
  const nav = useNavigate();
  const [err, setErr] = createSignal("");
  const [invite] = createResource(() => params.code, (code) => api<T.Invite>("GET", `/invites/${encodeURIComponent(code)}?with_counts=true`));
  const join = async () => {
    if (!getToken()) {
      nav(`/login?next=${encodeURIComponent(`/invite/${params.code}`)}`);
      return;
    }
    try {
      const inv = await actions.acceptInvite(params.code ?? "");
      nav(`/channels/${inv.guild?.id}/${inv.channel?.id ?? ""}`);
    } catch (e) {
      setErr(e instanceof ApiError ? e.message : "Could not join.");
    }
  };
  return (
    <main class="center">
      <div class="card">
        <Show when={!invite.error} fallback={<><h1>Invite invalid</h1><p class="muted">This invite may be expired, or you might not have permission to join.</p><a href="/channels/@me">Go home</a></>}>
          <Show when={invite()} fallback={<p>Loading invite…</p>}>
            {(i) => (
              <>
                <p class="muted">You've been invited to join</p>
                <h1>{i().guild?.name}</h1>
                <p class="muted">{i().approximate_member_count ?? 0} members · {i().approximate_presence_count ?? 0} online</p>
                <button class="btn full" onClick={join}>{getToken() ? "Accept invite" : "Log in to accept"}</button>
                <Show when={!getToken()}>
                  <p class="muted">New here? <a href={`/register?next=${encodeURIComponent(`/invite/${params.code}`)}`}>Create an account</a></p>
                </Show>
                <div class="field-error" role="alert">{err()}</div>
              </>
            )}
          </Show>
        </Show>
      </div>
    </main>
  );
}
