// A modal on the native <dialog>: focus is trapped and Escape closes it for free.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { Icon } from "./icons";

export function Dialog(props: {
  title: string; onClose: () => void; children: ComponentChildren; class?: string;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = ref.current!;
    if (!el.open) el.showModal();
    const onCancel = (e: Event) => {
      e.preventDefault();
      props.onClose();
    };
    el.addEventListener("cancel", onCancel);
    return () => el.removeEventListener("cancel", onCancel);
  }, []);
  return (
    <dialog ref={ref} class={`dialog ${props.class ?? ""}`} aria-labelledby="dialog-title"
      onClick={(e) => e.target === ref.current && props.onClose()}>
      <div class="dialog-body">
        <header class="dialog-head">
          <h2 id="dialog-title">{props.title}</h2>
          <button class="icon-button" aria-label="Close" onClick={props.onClose}>
            <Icon name="close" />
          </button>
        </header>
        {props.children}
      </div>
    </dialog>
  );
}
