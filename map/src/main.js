// The live attack map: wires the API to the map and the panels.
import './map.css';
import { ApiError, request, subscribeAlerts } from './api.js';
import { LEGEND } from './families.js';
import { pushTicker, resetTicker, setCount, setRanking, setTimeline } from './panels.js';
import { WorldMap } from './world.js';

const WINDOWS = {
  '1h': { minutes: 60, bucketSeconds: 300 },
  '24h': { minutes: 1_440, bucketSeconds: 3_600 },
  '7d': { minutes: 10_080, bucketSeconds: 6 * 3_600 },
};
/** Panels refresh this often without traffic, and at most once per this delay with. */
const IDLE_REFRESH_MS = 15_000;
const BUSY_REFRESH_MS = 750;
const TOKEN_KEY = 'peba-map-token';

const byId = (id) => document.querySelector(`[data-testid="${id}"]`);
const ui = {
  map: byId('map'),
  status: byId('status'),
  counts: {
    lastMinute: byId('count-last-minute'),
    lastHour: byId('count-last-hour'),
    last24Hours: byId('count-last-24-hours'),
  },
  countries: byId('top-countries'),
  ports: byId('top-ports'),
  types: byId('honeypot-types'),
  timeline: byId('timeline'),
  ticker: byId('ticker'),
  window: byId('window'),
  domain: byId('domain'),
  legend: byId('legend'),
  loginForm: byId('login-form'),
  loginError: byId('login-error'),
  viewer: byId('viewer'),
  logout: byId('logout'),
};

const state = {
  token: sessionStorage.getItem(TOKEN_KEY),
  domain: 'COMMUNITY',
  window: '1h',
  connection: 'connecting',
  problem: '',
};
const world = new WorldMap(ui.map);

function showStatus() {
  const text = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Connection lost, reconnecting…',
  }[state.connection];
  ui.status.textContent = state.problem ? `${text} · ${state.problem}` : text;
  ui.status.dataset.state = state.connection;
}

// ---- panels: one query per refresh -------------------------------------------------------

let refreshing = false;
let refreshAgain = false;
let refreshTimer = null;
let resetTickerOnRefresh = true;

function render(data) {
  for (const [key, node] of Object.entries(ui.counts)) setCount(node, data.alertStats[key]);
  const known = data.sourceCountries.filter((c) => c.code !== '-' && c.code !== 'PIR');
  world.setVolumes(new Map(known.map((c) => [c.code, c.count])));
  setRanking(
    ui.countries,
    data.sourceCountries.slice(0, 10).map((c) => ({ label: c.name || c.code, count: c.count })),
  );
  setRanking(ui.ports, data.topPorts.map((p) => ({ label: p.value, count: p.count })));
  setRanking(ui.types, data.honeypotTypes.map((t) => ({ label: t.honeypotType, count: t.count })));
  setTimeline(ui.timeline, data.timeline);
  if (resetTickerOnRefresh) {
    resetTicker(ui.ticker, data.recent.nodes);
    resetTickerOnRefresh = false;
  }
  showViewer(data.viewer);
}

async function refresh() {
  refreshTimer = null;
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  const choice = WINDOWS[state.window];
  try {
    const data = await request(
      'MapPanels',
      {
        domain: state.domain,
        window: { received: { lastMinutes: choice.minutes } },
        since: new Date(Date.now() - choice.minutes * 60_000).toISOString().slice(0, 19) + 'Z',
        bucketSeconds: choice.bucketSeconds,
        withAddresses: Boolean(state.token),
      },
      state.token,
    );
    state.problem = '';
    render(data);
  } catch (error) {
    if (error instanceof ApiError && error.codes.includes('UNAUTHENTICATED') && state.token) {
      logOut('Your login expired.');
    } else {
      state.problem = error instanceof ApiError ? error.message : 'the server does not answer';
    }
  } finally {
    refreshing = false;
    showStatus();
    if (refreshAgain) {
      refreshAgain = false;
      scheduleRefresh(BUSY_REFRESH_MS);
    }
  }
}

function scheduleRefresh(delay) {
  if (refreshTimer === null) refreshTimer = setTimeout(refresh, delay);
}

setInterval(() => scheduleRefresh(0), IDLE_REFRESH_MS);

// ---- live feed: batched per frame -------------------------------------------------------

/** Arcs are redrawn at most this often (20 frames/s), the ticker at most this often. */
const FRAME_MS = 50;
const TICKER_MS = 250;

let incoming = [];
let tickerQueue = [];
let frameRequested = false;
let lastFrame = 0;
let lastTicker = 0;

function frame(now) {
  frameRequested = false;
  if (now - lastFrame < FRAME_MS) {
    requestFrame();
    return;
  }
  lastFrame = now;
  if (incoming.length) {
    const batch = incoming;
    incoming = [];
    world.addArcs(batch, now);
    tickerQueue.push(...batch);
  }
  if (tickerQueue.length && now - lastTicker >= TICKER_MS) {
    lastTicker = now;
    pushTicker(ui.ticker, tickerQueue.slice(-30).reverse());
    tickerQueue = [];
  }
  if (world.drawArcs(now) || tickerQueue.length) requestFrame();
}

function requestFrame() {
  if (!frameRequested) {
    frameRequested = true;
    requestAnimationFrame(frame);
  }
}

function onAlert(alert) {
  incoming.push(alert);
  requestFrame();
  scheduleRefresh(BUSY_REFRESH_MS);
}

let closeFeed = () => {};

function connect() {
  closeFeed();
  closeFeed = subscribeAlerts({
    domain: state.domain,
    token: state.token,
    onAlert,
    onStatus: (status) => {
      const wasLost = state.connection === 'reconnecting';
      state.connection = status;
      showStatus();
      // Alerts stored while the feed was down reach the panels through a refresh.
      if (status === 'live' && wasLost) scheduleRefresh(0);
    },
  });
}

/** Reloads everything after a change of login, domain or window. */
function reload({ feed }) {
  resetTickerOnRefresh = true;
  if (feed) connect();
  scheduleRefresh(0);
}

// ---- controls ----------------------------------------------------------------------------

function showViewer(viewer) {
  const loggedIn = Boolean(state.token && viewer);
  ui.loginForm.hidden = loggedIn;
  ui.viewer.hidden = !loggedIn;
  ui.logout.hidden = !loggedIn;
  if (loggedIn) ui.viewer.textContent = viewer.name;
  for (const option of ui.domain.options) {
    option.disabled = option.value !== 'COMMUNITY' && (!loggedIn || viewer.communityOnly);
  }
  ui.domain.disabled = !loggedIn || viewer.communityOnly;
}

function logOut(reason = '') {
  state.token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.domain = 'COMMUNITY';
  ui.domain.value = 'COMMUNITY';
  ui.loginError.textContent = reason;
  showViewer(null);
  reload({ feed: true });
}

ui.loginForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(ui.loginForm);
  ui.loginError.textContent = '';
  try {
    const data = await request('MapLogin', {
      username: String(form.get('username')),
      token: String(form.get('token')),
    });
    state.token = data.login.token;
    sessionStorage.setItem(TOKEN_KEY, state.token);
    ui.loginForm.reset();
    reload({ feed: true });
  } catch (error) {
    ui.loginError.textContent =
      error instanceof ApiError ? error.message : 'The server does not answer.';
  }
});

ui.logout.addEventListener('click', () => logOut());

ui.window.addEventListener('change', () => {
  state.window = ui.window.value;
  reload({ feed: false });
});

ui.domain.addEventListener('change', () => {
  state.domain = ui.domain.value;
  reload({ feed: true });
});

ui.legend.replaceChildren(
  ...LEGEND.map(({ name, color }) => {
    const item = document.createElement('li');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = color;
    item.append(swatch, name);
    return item;
  }),
);

showStatus();
showViewer(null);
reload({ feed: true });
