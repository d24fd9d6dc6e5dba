// The map: countries shaded by attack volume on one canvas, arcs in flight on another one
// above it, both drawn with d3-geo on a 2D context (no WebGL). Country outlines are projected
// once per size and each arc once when it arrives; a frame only strokes, one path per colour
// and fade level, so hundreds of arcs cost a few dozen draw calls. Countries are redrawn only
// when a shade changes.
import { geoNaturalEarth1, geoPath, geoInterpolate } from 'd3-geo';
import { feature } from 'topojson-client';
import atlas from 'world-atlas/countries-110m.json';
import codes from 'i18n-iso-countries/codes.json';
import { familyOf } from './families.js';

/** Most arcs drawn at once; older ones are dropped first. */
export const MAX_ARCS = 400;
const TRAVEL_MS = 900;
const LIFETIME_MS = 3_000;
const ARC_STEPS = 24;
const FADE_LEVELS = 8;

const alpha2ByNumeric = new Map(codes.map(([alpha2, , numeric]) => [numeric, alpha2]));
const countries = feature(atlas, atlas.objects.countries).features.map((shape) => ({
  shape,
  code: alpha2ByNumeric.get(shape.id) ?? null,
}));

/** Shades per country: volumes are drawn in this many steps, so most refreshes change none. */
const SHADES = 16;

function shade(count, max) {
  if (!count) return '#1b2433';
  const t = Math.ceil((Math.log1p(count) / Math.log1p(max)) * SHADES) / SHADES;
  const r = Math.round(40 + t * 190);
  const g = Math.round(50 + t * 40);
  const b = Math.round(80 - t * 30);
  return `rgb(${r},${g},${b})`;
}

export class WorldMap {
  constructor(container) {
    this.base = document.createElement('canvas');
    this.overlay = document.createElement('canvas');
    container.append(this.base, this.overlay);
    this.container = container;
    this.volumes = new Map();
    this.arcs = [];
    this.resize();
    new ResizeObserver(() => this.resize()).observe(container);
  }

  resize() {
    const ratio = window.devicePixelRatio || 1;
    const { clientWidth: width, clientHeight: height } = this.container;
    if (!width || !height) return;
    for (const canvas of [this.base, this.overlay]) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.getContext('2d').setTransform(ratio, 0, 0, ratio, 0, 0);
    }
    this.projection = geoNaturalEarth1().fitExtent(
      [
        [8, 8],
        [width - 8, height - 8],
      ],
      { type: 'Sphere' },
    );
    const path = geoPath(this.projection);
    this.sphere = new Path2D(path({ type: 'Sphere' }));
    this.outlines = countries.map(({ shape, code }) => ({ code, path: new Path2D(path(shape) ?? '') }));
    this.width = width;
    this.height = height;
    this.arcs = [];
    this.drawCountries({ force: true });
  }

  /** Shades the countries by `volumes` (alpha-2 code → alerts). */
  setVolumes(volumes) {
    this.volumes = volumes;
    this.drawCountries();
  }

  drawCountries({ force = false } = {}) {
    if (!this.projection) return;
    const max = Math.max(1, ...this.volumes.values());
    const fills = this.outlines.map(({ code }) => shade(this.volumes.get(code) ?? 0, max));
    const key = fills.join();
    if (!force && key === this.drawnFills) return;
    this.drawnFills = key;
    const context = this.base.getContext('2d');
    context.clearRect(0, 0, this.width, this.height);
    context.fillStyle = '#0b111b';
    context.fill(this.sphere);
    context.lineWidth = 0.5;
    context.strokeStyle = '#324055';
    this.outlines.forEach(({ path }, i) => {
      context.fillStyle = fills[i];
      context.fill(path);
      context.stroke(path);
    });
  }

  /** The arc's screen points, `null` where it leaves one edge of the map for the other. */
  project(from, to) {
    const along = geoInterpolate([from.longitude, from.latitude], [to.longitude, to.latitude]);
    const points = [];
    let previous = null;
    for (let i = 0; i <= ARC_STEPS; i += 1) {
      const point = this.projection(along(i / ARC_STEPS));
      if (previous && Math.abs(point[0] - previous[0]) > this.width / 2) points.push(null);
      points.push(point);
      previous = point;
    }
    return points;
  }

  /** Adds arcs for `alerts` (those with both locations), dropping the oldest over the cap. */
  addArcs(alerts, now) {
    if (!this.projection) return;
    for (const alert of alerts) {
      const from = alert.source.location;
      const to = alert.target.location;
      if (!from || !to) continue;
      const points = this.project(from, to);
      this.arcs.push({ points, end: points[points.length - 1], born: now, color: familyOf(alert.target.port).color });
    }
    if (this.arcs.length > MAX_ARCS) this.arcs.splice(0, this.arcs.length - MAX_ARCS);
    this.container.dataset.arcs = String(this.arcs.length);
  }

  /** Draws the arcs in flight at `now`; returns whether any remain. */
  drawArcs(now) {
    const context = this.overlay.getContext('2d');
    context.clearRect(0, 0, this.width, this.height);
    this.arcs = this.arcs.filter((arc) => now - arc.born < LIFETIME_MS);
    this.container.dataset.arcs = String(this.arcs.length);
    const groups = new Map();
    for (const arc of this.arcs) {
      const age = now - arc.born;
      const fade = age < TRAVEL_MS ? 1 : 1 - (age - TRAVEL_MS) / (LIFETIME_MS - TRAVEL_MS);
      const level = Math.max(1, Math.ceil(fade * FADE_LEVELS));
      const key = `${arc.color} ${level}`;
      if (!groups.has(key)) groups.set(key, { color: arc.color, alpha: level / FADE_LEVELS, path: new Path2D() });
      const { path } = groups.get(key);
      const shown = Math.ceil(Math.min(1, age / TRAVEL_MS) * (arc.points.length - 1)) + 1;
      let pen = false;
      for (let i = 0; i < shown; i += 1) {
        const point = arc.points[i];
        if (point === null) pen = false;
        else if (pen) path.lineTo(point[0], point[1]);
        else {
          path.moveTo(point[0], point[1]);
          pen = true;
        }
      }
      if (age >= TRAVEL_MS) {
        const radius = 2 + (1 - fade) * 10;
        path.moveTo(arc.end[0] + radius, arc.end[1]);
        path.arc(arc.end[0], arc.end[1], radius, 0, Math.PI * 2);
      }
    }
    context.lineWidth = 1.6;
    context.lineCap = 'round';
    for (const { color, alpha, path } of groups.values()) {
      context.globalAlpha = alpha;
      context.strokeStyle = color;
      context.stroke(path);
    }
    context.globalAlpha = 1;
    return this.arcs.length > 0;
  }
}
