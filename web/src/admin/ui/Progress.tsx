import { ta } from "../i18n";

/** An upload's progress, announced as it goes. */
export function Progress({ name, fraction }: { name: string; fraction: number }) {
  const percent = Math.round(fraction * 100);
  return (
    <div class="progress">
      <label>
        {ta("upload.progress", { name, percent })}
        <progress max={100} value={percent} />
      </label>
    </div>
  );
}
