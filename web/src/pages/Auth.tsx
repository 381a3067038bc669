import { A, useNavigate, useSearchParams } from "@solidjs/router";
import { Show, createSignal } from "solid-js";
import { ApiError, api, setToken } from "../api/client";

function Field(props: { id: string; label: string; type?: string; error?: string; autocomplete?: string; value: string; onInput: (v: string) => void }) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.id}
        type={props.type ?? "text"}
        autocomplete={props.autocomplete}
        value={props.value}
        aria-invalid={props.error ? "true" : "false"}
        aria-describedby={props.error ? `${props.id}-error` : undefined}
        onInput={(e) => props.onInput(e.currentTarget.value)}
      />
      <Show when={props.error}>
        <div class="field-error" id={`${props.id}-error`} role="alert">{props.error}</div>
      </Show>
    </>
  );
}

export function Login() {
  const nav = useNavigate();
  const [params] = useSearchParams();
  const [login, setLogin] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const r = await api<{ token: string }>("POST", "/auth/login", { login: login(), password: password() });
      setToken(r.token);
      nav((params.next as string) || "/channels/@me", { replace: true });
    } catch (err) {
      setErrors(err instanceof ApiError ? { ...err.fields(), _form: err.message } : { _form: "Could not reach the server." });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit} noValidate>
        <h1>Welcome back</h1>
        <Field id="login" label="Username or email" autocomplete="username" value={login()} onInput={setLogin} error={errors().login} />
        <Field id="password" label="Password" type="password" autocomplete="current-password" value={password()} onInput={setPassword} error={errors().password} />
        <Show when={errors()._form && !errors().login && !errors().password}>
          <div class="field-error" role="alert">{errors()._form}</div>
        </Show>
        <button class="btn full" type="submit" disabled={busy()}>Log in</button>
        <p class="muted">Need an account? <A href={`/register${params.next ? `?next=${encodeURIComponent(params.next as string)}` : ""}`}>Register</A></p>
      </form>
    </main>
  );
}

export function Register() {
  const nav = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = createSignal("");
  const [email, setEmail] = createSignal("");
  const [password, setPassword] = createSignal("");
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const [busy, setBusy] = createSignal(false);
  const invite = () => (params.next as string | undefined)?.match(/^\/invite\/(.+)$/)?.[1];
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      const body: Record<string, string> = { username: username(), password: password() };
      if (email()) body.email = email();
      if (invite()) body.invite = invite()!;
      const r = await api<{ token: string; instance_admin: boolean }>("POST", "/auth/register", body);
      setToken(r.token);
      if (r.instance_admin) sessionStorage.setItem("coterie.firstAdmin", "1");
      nav((params.next as string) || "/channels/@me", { replace: true });
    } catch (err) {
      setErrors(err instanceof ApiError ? { ...err.fields(), _form: err.message } : { _form: "Could not reach the server." });
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit} noValidate>
        <h1>Create an account</h1>
        <Field id="username" label="Username" autocomplete="username" value={username()} onInput={setUsername} error={errors().username} />
        <Field id="email" label="Email (optional)" type="email" autocomplete="email" value={email()} onInput={setEmail} error={errors().email} />
        <Field id="password" label="Password" type="password" autocomplete="new-password" value={password()} onInput={setPassword} error={errors().password} />
        <Show when={errors().invite || (errors()._form && Object.keys(errors()).length === 1)}>
          <div class="field-error" role="alert">{errors().invite ?? errors()._form}</div>
        </Show>
        <button class="btn full" type="submit" disabled={busy()}>Register</button>
        <p class="muted">Already have an account? <A href="/login">Log in</A></p>
      </form>
    </main>
  );
}
