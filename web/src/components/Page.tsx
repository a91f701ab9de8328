import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { useSettings } from "../org/settings";

interface Props {
  title: string;
  children?: ComponentChildren;
}

/**
 * A page's heading and content. On every navigation the heading takes the
 * focus (screen readers announce the new page, keyboard users start from
 * it) and the document's title follows.
 */
export function Page({ title, children }: Props) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { name } = useSettings();
  useEffect(() => {
    document.title = name ? `${title} · ${name}` : title;
  }, [title, name]);
  useEffect(() => {
    heading.current?.focus();
  }, [title]);
  return (
    <>
      <h1 ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {children}
    </>
  );
}
