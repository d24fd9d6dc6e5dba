// The map: countries shaded by attack volume on one canvas, arcs in flight on another one
// above it, both drawn with d3-geo on a 2D context (no WebGL).
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

const alpha2ByNumeric = new Map(codes.map(([alpha2, , numeric]) => [numeric, alpha2]));
const countries = feature(atlas, atlas.objects.countries).features.map((shape) => ({
  shape,
  code: alpha2ByNumeric.get(shape.id) ?? null,
}));

function shade(count, max) {
  if (!count) return '#1b2433';
  const t = Math.log1p(count) / Math.log1p(max);
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
    this.frame = 0;
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
    this.width = width;
    this.height = height;
    this.drawCountries();
  }

  /** Shades the countries by `volumes` (alpha-2 code → alerts). */
  setVolumes(volumes) {
    this.volumes = volumes;
    this.drawCountries();
  }

  drawCountries() {
    if (!this.projection) return;
    const context = this.base.getContext('2d');
    const path = geoPath(this.projection, context);
    context.clearRect(0, 0, this.width, this.height);
    context.beginPath();
    path({ type: 'Sphere' });
    context.fillStyle = '#0b111b';
    context.fill();
    const max = Math.max(1, ...this.volumes.values());
    context.lineWidth = 0.5;
    context.strokeStyle = '#324055';
    for (const { shape, code } of countries) {
      context.beginPath();
      path(shape);
      context.fillStyle = shade(this.volumes.get(code) ?? 0, max);
      context.fill();
      context.stroke();
    }
  }

  /** Adds arcs for `alerts` (those with both locations), dropping the oldest over the cap. */
  addArcs(alerts, now) {
    for (const alert of alerts) {
      const from = alert.source.location;
      const to = alert.target.location;
      if (!from || !to) continue;
      const points = geoInterpolate(
        [from.longitude, from.latitude],
        [to.longitude, to.latitude],
      );
      this.arcs.push({ points, born: now, color: familyOf(alert.target.port).color });
    }
    if (this.arcs.length > MAX_ARCS) {
      this.arcs.splice(0, this.arcs.length - MAX_ARCS);
    }
    this.container.dataset.arcs = String(this.arcs.length);
  }

  /** Draws the arcs in flight at `now`; returns whether any remain. */
  drawArcs(now) {
    const context = this.overlay.getContext('2d');
    context.clearRect(0, 0, this.width, this.height);
    this.arcs = this.arcs.filter((arc) => now - arc.born < LIFETIME_MS);
    this.container.dataset.arcs = String(this.arcs.length);
    if (!this.projection) return this.arcs.length > 0;
    const path = geoPath(this.projection, context);
    context.lineWidth = 1.6;
    context.lineCap = 'round';
    for (const arc of this.arcs) {
      const age = now - arc.born;
      const head = Math.min(1, age / TRAVEL_MS);
      const fade = age < TRAVEL_MS ? 1 : 1 - (age - TRAVEL_MS) / (LIFETIME_MS - TRAVEL_MS);
      context.globalAlpha = Math.max(0, fade);
      context.strokeStyle = arc.color;
      // A line string, so that d3-geo cuts it where it crosses the map's edge.
      const coordinates = [];
      for (let i = 0; i <= ARC_STEPS; i += 1) coordinates.push(arc.points((i / ARC_STEPS) * head));
      context.beginPath();
      path({ type: 'LineString', coordinates });
      context.stroke();
      if (head === 1) {
        const [x, y] = this.projection(arc.points(1));
        const radius = 2 + ((age - TRAVEL_MS) / (LIFETIME_MS - TRAVEL_MS)) * 10;
        context.beginPath();
        context.arc(x, y, radius, 0, Math.PI * 2);
        context.stroke();
      }
    }
    context.globalAlpha = 1;
    return this.arcs.length > 0;
  }
}
