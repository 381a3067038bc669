import { type JSX, onCleanup, onMount } from "solid-js";

export default function Modal(props: { title: string; onClose: () => void; children: JSX.Element }) {
  let box!: HTMLDivElement;
  const key = (e: KeyboardEvent) => e.key === "Escape" && props.onClose();
  onMount(() => {
    document.addEventListener("keydown", key);
    box.querySelector<HTMLElement>("input, button, select, textarea")?.focus();
  });
  onCleanup(() => document.removeEventListener("keydown", key));
  return (
    <div class="modal-bg" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="modal" role="dialog" aria-modal="true" aria-label={props.title} ref={box}>
        <div class="row">
          <h2 class="grow">{props.title}</h2>
          <button class="icon-btn" aria-label="Close" onClick={props.onClose}>✕</button>
        </div>
        {props.children}
      </div>
    </div>
  );
}
