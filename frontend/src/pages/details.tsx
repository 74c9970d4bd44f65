// "Edit details": an episode's title and description as its podcast's admins and creators
// write them (PATCH /api/episodes/{id}). Reading the feed again keeps what was written here.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { patch } from "../api/client";
import type { EpisodeDetail } from "../api/types";
import { Dialog } from "../ui/dialog";
import { notify } from "../ui/toast";

const TITLE_MAX = 300;
const DESCRIPTION_MAX = 20_000;

export function EditDetails({ ep, onSaved }: { ep: EpisodeDetail; onSaved: () => void }): JSX.Element | null {
  const [open, setOpen] = useState(false);
  if (!ep.may_edit) return null;
  return (
    <>
      <button class="secondary small" onClick={() => setOpen(true)} aria-label={`Edit the details of ${ep.title}`}>
        Edit details
      </button>
      {open && <DetailsDialog ep={ep} onClose={() => setOpen(false)} onSaved={() => { setOpen(false); onSaved(); }} />}
    </>
  );
}

function DetailsDialog({ ep, onClose, onSaved }: { ep: EpisodeDetail; onClose: () => void; onSaved: () => void }): JSX.Element {
  const [title, setTitle] = useState(ep.title);
  const [description, setDescription] = useState(ep.description);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      await patch(`/api/episodes/${ep.id}`, { title, description });
      notify("Details saved. Reading the feed again keeps them.");
      onSaved();
    } catch (err) {
      setError((err as Error).message); // the server's reason: "a title cannot be empty", …
    } finally {
      setSaving(false);
    }
  };
  return (
    <Dialog title="Edit details" onClose={onClose} class="details-dialog">
      <form onSubmit={save}>
        <label for="ep-title-input" class="field-label">Title</label>
        <input id="ep-title-input" required maxLength={TITLE_MAX} value={title}
          onInput={(e) => setTitle(e.currentTarget.value)} />
        <label for="ep-description-input" class="field-label">Description</label>
        <textarea id="ep-description-input" rows={8} maxLength={DESCRIPTION_MAX} value={description}
          onInput={(e) => setDescription(e.currentTarget.value)} />
        <p class="muted small-text">Plain text. Listeners see it on the episode page and the public site.</p>
        {error && <p class="error" role="alert">{error}</p>}
        <div class="row">
          <button type="submit" disabled={saving}>{saving ? "Saving…" : "Save"}</button>
          <button type="button" class="secondary" onClick={onClose}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
