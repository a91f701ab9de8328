import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

/** A message that something worked or is under way (announced politely). */
export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** A problem with what the person asked (announced at once, and focused so
 * keyboard users land on it). */
export function Problem({
  children,
  focus = true,
}: {
  children: ComponentChildren;
  focus?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (focus) box.current?.focus();
  }, [children, focus]);
  return (
    <div class="problem" role="alert" tabIndex={-1} ref={box}>
      {children}
    </div>
  );
}
