// A podcast's settings, for its creators and admins (the people the API lets change it): its
// details (PATCH /api/podcasts/{id}) and the brand of its clip videos (colours, caption style,
// logo: /api/podcasts/{id}/brand). Beside them, a still frame of one of its clips as the server
// draws it (GET /api/clips/{id}/video/preview.png), fetched again after each save: the frame is
// the truth, so it is the server's, while a small sample follows unsaved choices as they change.
// Anyone else is told they cannot change it, in the API's words (403).
import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, del, fieldErrors, get, patch, put, session, signInUrl } from "../api/client";
import type { Brand, CaptionSize, CaptionStyle, Clip, ClipPage, Podcast } from "../api/types";
import { useLoad } from "../ui/hooks";
import { notify } from "../ui/toast";

const TITLE_MAX = 300;
const DESCRIPTION_MAX = 20_000;
const LOGO_MAX_BYTES = 2 * 1024 * 1024;
const HEX = /^#[0-9a-f]{6}$/i;

const STYLES: { value: CaptionStyle; label: string; hint: string }[] = [
  { value: "highlight", label: "Highlight", hint: "the spoken word on a plate in the accent colour" },
  { value: "karaoke", label: "Karaoke", hint: "words light up in the accent colour as they are said" },
  { value: "plain", label: "Plain", hint: "the words only, nothing moves" },
];
const SIZES: { value: CaptionSize; label: string }[] = [
  { value: "small", label: "Small" }, { value: "medium", label: "Medium" }, { value: "large", label: "Large" },
];
type Aspect = "9x16" | "1x1" | "16x9";
const ASPECTS: { value: Aspect; label: string; height: number }[] = [
  { value: "9x16", label: "9:16", height: 960 }, { value: "1x1", label: "1:1", height: 540 },
  { value: "16x9", label: "16:9", height: 304 },
];

export function PodcastSettingsPage({ id }: { id: number }): JSX.Element {
  const podcast = useLoad((signal) => get<Podcast>(`/api/podcasts/${id}`, { signal }), [id]);
  const mayEdit = !!podcast.data?.may_edit;
  // asked of everyone signed in: for a listener, the API's refusal (403) is what the page says
  const signedIn = !!session.value;
  const brand = useLoad(
    (signal) => (signedIn ? get<Brand>(`/api/podcasts/${id}/brand`, { signal }) : Promise.resolve(null)),
    [id, signedIn],
  );
  const [version, setVersion] = useState(0); // a saved brand: the preview is drawn again
  const title = podcast.data?.title;
  useEffect(() => {
    if (title) document.title = `Settings: ${title} · Soundbite`;
  }, [title]);

  const back = <a class="back-link" href={`/podcasts/${id}`}>← {title ?? "The podcast"}</a>;
  if (podcast.error) {
    return <div class="page">{back}<h1>Podcast settings</h1><p class="error" role="alert">{podcast.error}</p></div>;
  }
  if (!podcast.data || (signedIn && brand.loading && !brand.data && !brand.error)) {
    return <div class="page"><h1>Podcast settings</h1><p class="muted">Loading…</p></div>;
  }
  if (!signedIn || !mayEdit || brand.error) {
    return (
      <div class="page settings-page">
        {back}
        <h1>Podcast settings</h1>
        <div class="refusal" role="alert" data-testid="refusal">
          {!signedIn ? (
            <p><a href={signInUrl()}>Sign in</a> to change this podcast's settings.</p>
          ) : (
            <>
              <p><strong>You can't change the settings of “{podcast.data.title}”.</strong></p>
              <p>{sentence(brand.error ?? "Only an admin or one of its creators can")}</p>
            </>
          )}
        </div>
      </div>
    );
  }
  return (
    <div class="page settings-page">
      {back}
      <h1>Settings: {podcast.data.title}</h1>
      <div class="settings-columns">
        <div class="settings-forms">
          <DetailsForm podcast={podcast.data} onSaved={podcast.reload} />
          {brand.data ? (
            <BrandForm podcastId={id} saved={brand.data} onSaved={() => { brand.reload(); setVersion((v) => v + 1); }} />
          ) : <p class="muted">Loading the brand…</p>}
        </div>
        <Preview podcastId={id} version={version} />
      </div>
    </div>
  );
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function FieldError({ id, text }: { id: string; text?: string }): JSX.Element | null {
  return text ? <p id={id} class="error field-error" role="alert">{text}</p> : null;
}

function DetailsForm({ podcast, onSaved }: { podcast: Podcast; onSaved: () => void }): JSX.Element {
  const [title, setTitle] = useState(podcast.title);
  const [description, setDescription] = useState(podcast.description);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setErrors({});
    try {
      await patch(`/api/podcasts/${podcast.id}`, { title, description });
      notify("Details saved. Reading the feed again keeps them.");
      onSaved();
    } catch (err) {
      setErrors(fieldErrors(err, ["title", "description"]));
    } finally {
      setSaving(false);
    }
  };
  return (
    <section class="settings-section" aria-labelledby="details-h">
      <h2 id="details-h">Details</h2>
      <form onSubmit={save} noValidate>
        <label for="podcast-title">Title</label>
        <input id="podcast-title" maxLength={TITLE_MAX} value={title} aria-invalid={!!errors.title}
          aria-describedby={errors.title ? "podcast-title-error" : undefined}
          onInput={(e) => setTitle(e.currentTarget.value)} />
        <FieldError id="podcast-title-error" text={errors.title} />
        <label for="podcast-description">Description</label>
        <textarea id="podcast-description" rows={5} maxLength={DESCRIPTION_MAX} value={description}
          aria-invalid={!!errors.description}
          aria-describedby={errors.description ? "podcast-description-error" : "podcast-description-hint"}
          onInput={(e) => setDescription(e.currentTarget.value)} />
        <FieldError id="podcast-description-error" text={errors.description} />
        <p id="podcast-description-hint" class="muted small-text">Plain text. Reading the feed again keeps what you write here.</p>
        <FieldError id="details-error" text={errors[""]} />
        <div class="row">
          <button type="submit" disabled={saving}>{saving ? "Saving…" : "Save details"}</button>
        </div>
      </form>
    </section>
  );
}

interface Draft { background: string; accent: string; caption_style: CaptionStyle; caption_size: CaptionSize }

function BrandForm({ podcastId, saved, onSaved }: { podcastId: number; saved: Brand; onSaved: () => void }): JSX.Element {
  const [draft, setDraft] = useState<Draft>({
    background: saved.background, accent: saved.accent, caption_style: saved.caption_style, caption_size: saved.caption_size,
  });
  // the logo: a file waiting to be uploaded, or the stored one to be removed, on Save
  const [logoFile, setLogoFile] = useState<File | null>(null);
  const [removeLogo, setRemoveLogo] = useState(false);
  const [localLogo, setLocalLogo] = useState<string | null>(null);
  const [logoVersion, setLogoVersion] = useState(0);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saving, setSaving] = useState(false);
  useEffect(() => {
    if (!logoFile) return setLocalLogo(null);
    const url = URL.createObjectURL(logoFile);
    setLocalLogo(url);
    return () => URL.revokeObjectURL(url);
  }, [logoFile]);
  const set = (patchIn: Partial<Draft>) => setDraft((d) => ({ ...d, ...patchIn }));
  const changed = draft.background !== saved.background || draft.accent !== saved.accent
    || draft.caption_style !== saved.caption_style || draft.caption_size !== saved.caption_size;
  const dirty = changed || !!logoFile || removeLogo;

  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setErrors({});
    const found: Record<string, string> = {};
    let any = false;
    try {
      if (changed) {
        try {
          const now = await patch<Brand>(`/api/podcasts/${podcastId}/brand`, draft);
          // as the server keeps them (colours in lower case), so the form reads "Saved"
          setDraft({ background: now.background, accent: now.accent, caption_style: now.caption_style, caption_size: now.caption_size });
          any = true;
        } catch (err) {
          Object.assign(found, fieldErrors(err, ["background", "accent", "caption_style", "caption_size"]));
        }
      }
      if (logoFile) {
        const form = new FormData();
        form.append("file", logoFile);
        try {
          await put(`/api/podcasts/${podcastId}/brand/logo`, form);
          setLogoFile(null);
          any = true;
        } catch (err) {
          found.logo = err instanceof ApiError ? err.message : String(err);
        }
      } else if (removeLogo) {
        try {
          await del(`/api/podcasts/${podcastId}/brand/logo`);
          setRemoveLogo(false);
          any = true;
        } catch (err) {
          found.logo = err instanceof ApiError ? err.message : String(err);
        }
      }
    } finally {
      setSaving(false);
    }
    setErrors(found);
    if (any) {
      setLogoVersion((v) => v + 1);
      onSaved();
      notify(Object.keys(found).length ? "Part of the brand was saved: see the messages." : "Brand saved. New videos use it.");
    }
  };

  const showLogo = localLogo ?? (saved.has_logo && !removeLogo ? `/api/podcasts/${podcastId}/brand/logo.png?v=${logoVersion}` : null);
  return (
    <section class="settings-section" aria-labelledby="brand-h">
      <h2 id="brand-h">Brand for clip videos</h2>
      <p class="muted small-text">How this podcast's clip videos look. Videos made before keep their look; new ones use the new one.</p>
      <form onSubmit={save} noValidate>
        <div class="colour-fields">
          <ColourField name="background" label="Background" value={draft.background} error={errors.background}
            onChange={(v) => set({ background: v })} />
          <ColourField name="accent" label="Accent" value={draft.accent} error={errors.accent}
            onChange={(v) => set({ accent: v })} />
        </div>
        <fieldset class="choice-group" aria-describedby={errors.caption_style ? "caption_style-error" : undefined}>
          <legend>Caption style</legend>
          {STYLES.map((s) => (
            <label key={s.value} class="choice">
              <input type="radio" name="caption_style" value={s.value} checked={draft.caption_style === s.value}
                onChange={() => set({ caption_style: s.value })} />
              <span><strong>{s.label}</strong> <span class="muted">{s.hint}</span></span>
            </label>
          ))}
        </fieldset>
        <FieldError id="caption_style-error" text={errors.caption_style} />
        <fieldset class="choice-group inline" aria-describedby={errors.caption_size ? "caption_size-error" : undefined}>
          <legend>Caption size</legend>
          {SIZES.map((s) => (
            <label key={s.value} class="choice">
              <input type="radio" name="caption_size" value={s.value} checked={draft.caption_size === s.value}
                onChange={() => set({ caption_size: s.value })} />
              <span>{s.label}</span>
            </label>
          ))}
        </fieldset>
        <FieldError id="caption_size-error" text={errors.caption_size} />
        <Sample draft={draft} />

        <div class="logo-field">
          <label for="brand-logo">Logo</label>
          <div class="logo-row">
            {showLogo ? (
              <img class="logo-preview" src={showLogo} width={72} height={72}
                alt={localLogo ? "The chosen logo (not saved yet)" : "The podcast's logo"} />
            ) : <span class="logo-preview logo-none" aria-hidden="true">No logo</span>}
            <div class="logo-controls">
              <input id="brand-logo" type="file" accept="image/png,image/jpeg,image/webp"
                aria-describedby={errors.logo ? "logo-error brand-logo-hint" : "brand-logo-hint"}
                aria-invalid={!!errors.logo}
                onChange={(e) => {
                  const file = e.currentTarget.files?.[0] ?? null;
                  setErrors(({ logo: _, ...rest }) => rest);
                  if (file && file.size > LOGO_MAX_BYTES) {
                    // the server would refuse it too (413); saying so now spares the upload
                    setErrors((es) => ({ ...es, logo: `That file is ${(file.size / 1e6).toFixed(1)} MB; a logo may be up to 2 MB.` }));
                    e.currentTarget.value = "";
                    return;
                  }
                  setLogoFile(file);
                  if (file) setRemoveLogo(false);
                }} />
              {(saved.has_logo || logoFile) && !removeLogo && (
                <button type="button" class="secondary small" onClick={() => {
                  setLogoFile(null);
                  if (saved.has_logo) setRemoveLogo(true);
                  const input = document.getElementById("brand-logo") as HTMLInputElement | null;
                  if (input) input.value = "";
                }}>{logoFile && !saved.has_logo ? "Clear the chosen file" : "Remove logo"}</button>
              )}
              {removeLogo && (
                <p class="small-text">The logo will be removed when you save.{" "}
                  <button type="button" class="link" onClick={() => setRemoveLogo(false)}>Keep it</button></p>
              )}
            </div>
          </div>
          <p id="brand-logo-hint" class="muted small-text">PNG, JPEG or WebP, up to 2 MB; drawn beside the podcast's name. A transparent background looks best.</p>
          <FieldError id="logo-error" text={errors.logo} />
        </div>
        <FieldError id="brand-error" text={errors[""]} />
        <div class="row save-row">
          <button type="submit" disabled={saving || !dirty} aria-describedby="brand-state">{saving ? "Saving…" : "Save brand"}</button>
          <span id="brand-state" class="muted small-text" aria-live="polite">
            {saving ? "Saving the brand…" : dirty ? "Unsaved changes" : "Saved"}
          </span>
        </div>
      </form>
    </section>
  );
}

function ColourField({ name, label, value, error, onChange }: {
  name: string; label: string; value: string; error?: string; onChange: (v: string) => void;
}): JSX.Element {
  // the text is what is sent, as typed: a wrong value earns the API's own message beside it;
  // the picker follows the text whenever the text is a colour it can show
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const errorId = `${name}-error`;
  return (
    <div class="colour-field">
      <span class="field-label" id={`${name}-label`}>{label}</span>
      <div class="colour-inputs">
        <input type="color" aria-label={`${label} colour picker`} value={HEX.test(text) ? text.toLowerCase() : "#000000"}
          onInput={(e) => { setText(e.currentTarget.value); onChange(e.currentTarget.value); }} />
        <input id={`brand-${name}`} type="text" aria-labelledby={`${name}-label`} aria-invalid={!!error}
          aria-describedby={error ? errorId : undefined} spellcheck={false} autocomplete="off"
          maxLength={20} value={text} class="hex"
          onInput={(e) => { setText(e.currentTarget.value.trim()); onChange(e.currentTarget.value.trim()); }} />
      </div>
      <FieldError id={errorId} text={error} />
    </div>
  );
}

/** Whether dark text reads better on `hex` (WCAG luminance; the frames use the same rule). */
function isLight(hex: string): boolean {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const [r, g, b] = [1, 3, 5].map((i) => lin(parseInt(hex.slice(i, i + 2), 16)));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179;
}

// A sketch of the captions in the chosen colours, drawn here as the choices change; the
// server's frame (the preview) is drawn after saving.
function Sample({ draft }: { draft: Draft }): JSX.Element | null {
  if (!HEX.test(draft.background) || !HEX.test(draft.accent)) return null;
  const ink = isLight(draft.background) ? "#111111" : "#ffffff";
  const words = ["From", "fairest", "creatures", "we", "desire"];
  const now = 2;
  return (
    <div class="brand-sample" aria-hidden="true" style={{ background: draft.background, color: ink }}
      data-size={draft.caption_size}>
      {words.map((w, i) => {
        let style: Record<string, string> = {};
        if (i === now && draft.caption_style === "highlight") style = { background: draft.accent, color: isLight(draft.accent) ? "#111111" : "#ffffff" };
        if (draft.caption_style === "karaoke") style = i === now ? { color: draft.accent } : i > now ? { opacity: "0.45" } : {};
        return <span key={w} class="sample-word" style={style}>{w}</span>;
      })}
    </div>
  );
}

function Preview({ podcastId, version }: { podcastId: number; version: number }): JSX.Element {
  // a public clip of the podcast, else one of the caller's own: the preview is drawn for it
  const clip = useLoad(async (signal): Promise<Clip | null> => {
    for (const mine of [false, true]) {
      const page = await get<ClipPage>(`/api/clips?podcast_id=${podcastId}&limit=1${mine ? "&mine=true" : ""}`, { signal });
      if (page.items.length) return page.items[0];
    }
    return null;
  }, [podcastId]);
  const [aspect, setAspect] = useState<Aspect>("1x1");
  const [shown, setShown] = useState<{ url: string; ok: boolean } | null>(null);
  const c = clip.data;
  const url = c ? `/api/clips/${c.id}/video/preview.png?aspect=${aspect}&v=${version}` : "";
  const state = !c ? "none" : shown?.url !== url ? "loading" : shown.ok ? "shown" : "failed";
  const shape = ASPECTS.find((a) => a.value === aspect)!;
  return (
    <section class="settings-section settings-preview" aria-labelledby="preview-h">
      <h2 id="preview-h">Preview</h2>
      {clip.error && <p class="error" role="alert">{clip.error}</p>}
      {clip.loading && !clip.data && <p class="muted">Looking for a clip to preview…</p>}
      {!clip.loading && !clip.error && !c && (
        <p class="muted" data-testid="no-clip">
          There is no clip of this podcast to preview yet (a public one, or one of yours). Open one of
          its episodes, press the scissors, mark a moment and make a clip: a frame of its video will
          show here, in this brand.
        </p>
      )}
      {c && (
        <>
          <div class="segmented" role="radiogroup" aria-label="Shape">
            {ASPECTS.map((a) => (
              <button key={a.value} type="button" role="radio" aria-checked={aspect === a.value}
                class={aspect === a.value ? "on" : ""} onClick={() => setAspect(a.value)}>{a.label}</button>
            ))}
          </div>
          <figure class={`video-still${state === "loading" ? " loading" : ""}`} aria-busy={state === "loading"}>
            {state !== "failed" && (
              <img src={url} width={540} height={shape.height} data-testid="brand-preview"
                alt={`Preview of a ${shape.label} video of the clip “${c.title}”, in the saved brand`}
                onLoad={() => setShown({ url, ok: true })} onError={() => setShown({ url, ok: false })} />
            )}
            <figcaption class="muted">
              {state === "loading" ? "Drawing the frame…" : state === "failed" ? "The preview could not be drawn." : <>A frame of “{c.title}” as its video will look, in the saved brand.</>}
            </figcaption>
          </figure>
        </>
      )}
    </section>
  );
}
