// Realistic attack traffic for the map's browser test: source networks in many countries
// (one /8 each in the test's GeoIP database), several honeypot types and ports, and EWS
// messages posted through the ingest route as ewsposter sends them.

/** Source countries: `octet` is the first octet of their test network. */
export const COUNTRIES = [
  ['CN', 'China', 34.77, 113.72], ['US', 'United States', 37.75, -97.82],
  ['RU', 'Russia', 55.75, 37.62], ['BR', 'Brazil', -15.78, -47.93],
  ['IN', 'India', 20.0, 77.0], ['VN', 'Vietnam', 16.0, 106.0],
  ['NL', 'Netherlands', 52.38, 4.9], ['KR', 'South Korea', 37.5, 127.0],
  ['ID', 'Indonesia', -6.2, 106.8], ['FR', 'France', 48.86, 2.35],
  ['GB', 'United Kingdom', 51.5, -0.13], ['IR', 'Iran', 35.7, 51.4],
  ['TW', 'Taiwan', 25.0, 121.5], ['JP', 'Japan', 35.7, 139.7],
  ['UA', 'Ukraine', 50.45, 30.5], ['TR', 'Turkey', 39.9, 32.85],
  ['AR', 'Argentina', -34.6, -58.4], ['ZA', 'South Africa', -26.2, 28.0],
  ['MX', 'Mexico', 19.4, -99.1], ['EG', 'Egypt', 30.0, 31.2],
  ['NG', 'Nigeria', 6.5, 3.4], ['AU', 'Australia', -33.9, 151.2],
  ['CA', 'Canada', 45.4, -75.7], ['SG', 'Singapore', 1.35, 103.8],
].map(([code, name, latitude, longitude], index) => ({
  code, name, latitude, longitude, octet: 11 + index,
}));

/** The honeypots: where they stand (one /8 each, after the sources) and what they listen on. */
export const SENSORS = [
  { analyzer: 'cowrie-community-01', ports: [22, 23], code: 'DE', name: 'Germany', latitude: 50.11, longitude: 8.68 },
  { analyzer: 'dionaea-community-01', ports: [445, 135, 1433, 3306], code: 'DE', name: 'Germany', latitude: 50.11, longitude: 8.68 },
  { analyzer: 'tanner-community-01', ports: [80, 8080, 443], code: 'US', name: 'United States', latitude: 40.71, longitude: -74.0 },
  { analyzer: 'heralding-community-01', ports: [110, 143, 5432, 3389], code: 'SG', name: 'Singapore', latitude: 1.35, longitude: 103.8 },
  { analyzer: 'honeytrap-community-01', ports: [8888, 6379, 9200], code: 'BR', name: 'Brazil', latitude: -23.55, longitude: -46.63 },
  { analyzer: 'mailoney-community-01', ports: [25, 587], code: 'JP', name: 'Japan', latitude: 35.68, longitude: 139.76 },
].map((sensor, index) => ({ ...sensor, address: `${100 + index}.1.2.3` }));

/** The GeoIP entries that place every source network and sensor. */
export function geoEntries() {
  return [
    ...COUNTRIES.map((c) => ({ ...c, network: `${c.octet}.0.0.0/8` })),
    ...SENSORS.map((s, index) => ({ ...s, network: `${100 + index}.0.0.0/8` })),
  ];
}

function ewsTime(date) {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** One alert's XML: `country` and `sensor` index the tables above. */
export function alertXml({ country, sensor, port, host = 1 }) {
  const source = `${COUNTRIES[country].octet}.${(host >> 16) & 255}.${(host >> 8) & 255}.${host & 255}`;
  const target = SENSORS[sensor];
  return `<Alert><Analyzer id="${target.analyzer}"/><CreateTime tz="+0000">${ewsTime(new Date())}</CreateTime>` +
    `<Source category="ipv4" port="${1024 + (host % 60000)}" protocol="tcp">${source}</Source>` +
    `<Target category="ipv4" port="${port}" protocol="tcp">${target.address}</Target>` +
    `<Request type="description">Attack on port ${port}</Request></Alert>`;
}

/** The source address `alertXml` uses. */
export function sourceOf(xml) {
  return xml.match(/<Source[^>]*>([^<]+)</)[1];
}

/** A deterministic mix: skewed towards the first countries, every sensor and port. */
export function realisticMix(count, seed = 1) {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
  return Array.from({ length: count }, (_, i) => {
    const country = Math.floor(COUNTRIES.length * next() ** 2.2);
    const sensor = Math.floor(SENSORS.length * next());
    const ports = SENSORS[sensor].ports;
    return alertXml({ country, sensor, port: ports[Math.floor(ports.length * next())], host: seed * 1000 + i });
  });
}

/** Posts `alerts` (XML strings) as `user` in messages of at most 50 alerts. */
export async function post(base, user, token, alerts) {
  for (let i = 0; i < alerts.length; i += 50) {
    const body = `<EWS-SimpleMessage version="3.0"><Authentication><username>${user}</username>` +
      `<token>${token}</token></Authentication>${alerts.slice(i, i + 50).join('')}</EWS-SimpleMessage>`;
    const response = await fetch(`${base}/ews-0.1/alert/postSimpleMessage`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body,
    });
    const text = await response.text();
    if (response.status !== 200 || !text.includes('<StatusCode>OK</StatusCode>')) {
      throw new Error(`ingest answered ${response.status}: ${text}`);
    }
  }
}
