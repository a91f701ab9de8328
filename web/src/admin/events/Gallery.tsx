import { useState } from "preact/hooks";
import { api, unwrap, type Schemas } from "../../api/client";
import { ApiError } from "../../api/errors";
import type { Me } from "../../auth/me";
import { Loaded, useLoad } from "../../components/Loaded";
import { Problem } from "../../components/Notice";
import { t } from "../../i18n";
import { ta } from "../i18n";
import { Action } from "../ui/Action";
import { Confirm } from "../ui/Confirm";
import { declared, useUploads } from "../ui/files";
import { Progress } from "../ui/Progress";

type Photo = Schemas["Photo"];

/** The event's photos: several sent at once, straight to storage, each
 * with its progress; captions; deleting one. */
export function Gallery({ event, me }: { event: Schemas["Event"]; me: Me }) {
  const may = (code: string) => me.permissions.includes(code);
  const [problem, setProblem] = useState<string | null>(null);
  const [photos, reload] = useLoad(
    () =>
      unwrap(
        api.GET("/api/events/{id}/gallery", {
          params: { path: { id: event.id }, query: { per_page: 100 } },
        }),
      ),
    [event.id],
  );
  const path = { params: { path: { id: event.id } } };
  const { sending, send } = useUploads(
    (file) =>
      unwrap(api.POST("/api/events/{id}/gallery/uploads", { ...path, body: declared(file) })),
    (reserved) =>
      unwrap(
        api.POST("/api/events/{id}/gallery", {
          ...path,
          body: { upload_id: reserved.upload_id, caption: null },
        }),
      ),
  );
  return (
    <section aria-labelledby="gallery">
      <h2 id="gallery">{ta("gallery.title")}</h2>
      {problem && <Problem>{problem}</Problem>}
      {may("gallery.upload") && (
        <div class="field">
          <label htmlFor="photos">{ta("gallery.add")}</label>
          <input
            id="photos"
            type="file"
            accept="image/jpeg,image/png,image/webp,image/gif"
            multiple
            disabled={sending.length > 0}
            onChange={async (e) => {
              const input = e.currentTarget as HTMLInputElement;
              setProblem(null);
              try {
                await send([...(input.files ?? [])]);
              } catch (failure) {
                setProblem(failure instanceof ApiError ? failure.explanation : t("app.error"));
              } finally {
                input.value = "";
                reload();
              }
            }}
          />
        </div>
      )}
      {sending.map((s) => (
        <Progress key={s.name} name={s.name} fraction={s.fraction} />
      ))}
      <Loaded state={photos} empty={ta("gallery.none")} isEmpty={(p) => p.items.length === 0}>
        {(p) => (
          <ul class="gallery">
            {p.items.map((photo) => (
              <PhotoItem key={photo.id} event={event.id} photo={photo} me={me} changed={reload} />
            ))}
          </ul>
        )}
      </Loaded>
    </section>
  );
}

function PhotoItem({
  event,
  photo,
  me,
  changed,
}: {
  event: string;
  photo: Photo;
  me: Me;
  changed: () => void;
}) {
  const [caption, setCaption] = useState(photo.caption ?? "");
  const path = { params: { path: { id: event, image_id: photo.id } } };
  const id = `caption-${photo.id}`;
  return (
    <li>
      <img src={photo.url} alt={photo.caption ?? ""} loading="lazy" />
      {me.permissions.includes("gallery.edit") ? (
        <div class="field">
          <label htmlFor={id}>{ta("gallery.caption")}</label>
          <input id={id} value={caption} onInput={(e) => setCaption(e.currentTarget.value)} />
          <Action
            action={() =>
              unwrap(
                api.PATCH("/api/events/{id}/gallery/{image_id}", {
                  ...path,
                  body: { caption: caption.trim() || null },
                }),
              )
            }
            done={changed}
          >
            {ta("gallery.saveCaption")}
          </Action>
        </div>
      ) : (
        photo.caption && <p>{photo.caption}</p>
      )}
      {me.permissions.includes("gallery.delete") && (
        <Confirm
          label={ta("gallery.delete")}
          warning={ta("gallery.deleteWarning")}
          action={() => unwrap(api.DELETE("/api/events/{id}/gallery/{image_id}", path))}
          done={changed}
        />
      )}
    </li>
  );
}
