/**
 * Columns for a year's months (or any labelled series): an SVG drawing for
 * the eye, and the same figures as a table for screen readers and for
 * anyone who would rather read them.
 */
import { ta } from "../i18n";

export interface Series {
  name: string;
  /** A CSS class giving the columns their colour. */
  tone: "one" | "two";
  values: number[];
}

interface Props {
  title: string;
  labels: string[];
  series: Series[];
  format: (value: number) => string;
  /** The label under each group of columns (the whole label by default). */
  tick?: (label: string) => string;
}

const HEIGHT = 160;
const COLUMN = 14;
const GAP = 10;
const MIN_WIDTH = 288;

export function BarChart({ title, labels, series, format, tick = (label) => label }: Props) {
  const most = Math.max(1, ...series.flatMap((s) => s.values));
  // A few groups get the room a year of months would take, so that their
  // labels fit and the drawing is not magnified.
  const group = Math.max(series.length * COLUMN + GAP, Math.floor(MIN_WIDTH / labels.length));
  // Half a gap either side, so the first and last labels are not cut.
  const width = labels.length * group + GAP;
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${HEIGHT + 20}`} width="100%" aria-hidden="true">
        {labels.map((label, i) => (
          <g key={label} transform={`translate(${i * group + GAP / 2},0)`}>
            {series.map((s, j) => {
              const value = s.values[i] ?? 0;
              const h = Math.max(value > 0 ? 2 : 0, (Math.max(value, 0) / most) * HEIGHT);
              return (
                <rect
                  key={s.name}
                  class={`bar ${s.tone}`}
                  x={(group - GAP - series.length * COLUMN) / 2 + j * COLUMN}
                  y={HEIGHT - h}
                  width={COLUMN - 2}
                  height={h}
                >
                  <title>{`${label} · ${s.name}: ${format(value)}`}</title>
                </rect>
              );
            })}
            <text x={(group - GAP) / 2} y={HEIGHT + 14} text-anchor="middle">
              {tick(label)}
            </text>
          </g>
        ))}
      </svg>
      {series.length > 1 && (
        <p class="legend">
          {series.map((s) => (
            <span key={s.name} class={`key ${s.tone}`}>
              {s.name}
            </span>
          ))}
        </p>
      )}
      <details>
        <summary>{ta("chart.figures", { title })}</summary>
        <table class="data">
          <thead>
            <tr>
              <th scope="col">{ta("chart.period")}</th>
              {series.map((s) => (
                <th key={s.name} scope="col">
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, i) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {series.map((s) => (
                  <td key={s.name}>{format(s.values[i] ?? 0)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
