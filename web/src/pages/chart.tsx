// A measurement over time as an SVG line chart, with the same figures in a table for those
// who do not see the chart (screen readers, zoomed-in screens).
import { t } from '../messages';
import { frenchDate } from '../lib/format';

const W = 640;
const H = 240;
const PAD = { left: 48, right: 16, top: 16, bottom: 32 };

function formatValue(v: number): string {
  return v.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
}

export function Chart(props: { title: string; points: { at: string; value: number }[]; unit: string }) {
  const points = props.points;
  if (points.length === 0) return <p>{t('chartEmpty')}</p>;
  const times = points.map((p) => new Date(p.at).getTime());
  const values = points.map((p) => p.value);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  let [v0, v1] = [Math.min(...values), Math.max(...values)];
  if (v0 === v1) [v0, v1] = [v0 - 1, v1 + 1];
  const margin = (v1 - v0) * 0.1;
  [v0, v1] = [v0 - margin, v1 + margin];
  const x = (time: number) => PAD.left + (t1 === t0 ? (W - PAD.left - PAD.right) / 2 : ((time - t0) / (t1 - t0)) * (W - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - (v - v0) / (v1 - v0)) * (H - PAD.top - PAD.bottom);
  const line = points.map((p, i) => `${i ? 'L' : 'M'}${x(times[i]).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  return (
    <figure class="graphique">
      <figcaption>
        {props.title} — {t('chartLast').replace('{value}', formatValue(last.value)).replace('{unit}', props.unit).replace('{date}', frenchDate(last.at))}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chartLabel').replace('{title}', props.title).replace('{n}', String(points.length))} class="courbe">
        <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} class="axe" />
        <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={H - PAD.bottom} class="axe" />
        <text x={PAD.left - 6} y={y(v1 - margin) + 4} class="graduation" text-anchor="end">
          {formatValue(v1 - margin)}
        </text>
        <text x={PAD.left - 6} y={y(v0 + margin) + 4} class="graduation" text-anchor="end">
          {formatValue(v0 + margin)}
        </text>
        <text x={PAD.left} y={H - 8} class="graduation">
          {frenchDate(points[0].at)}
        </text>
        <text x={W - PAD.right} y={H - 8} class="graduation" text-anchor="end">
          {frenchDate(last.at)}
        </text>
        <path d={line} class="trace" />
        {points.map((p, i) => (
          <circle key={i} cx={x(times[i])} cy={y(p.value)} r={4} class="point" />
        ))}
      </svg>
      <details>
        <summary>{t('chartTable')}</summary>
        <table>
          <caption class="sr-only">{props.title}</caption>
          <thead>
            <tr>
              <th scope="col">{t('chartDate')}</th>
              <th scope="col">{t('chartValue').replace('{unit}', props.unit)}</th>
            </tr>
          </thead>
          <tbody>
            {points.map((p, i) => (
              <tr key={i}>
                <td>{frenchDate(p.at)}</td>
                <td>{formatValue(p.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
