// The page's panels: counters, rankings, timeline and ticker (plain DOM, no framework).

const numbers = new Intl.NumberFormat('en');
const TICKER_LENGTH = 30;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Sets a counter's text to the plain number. */
export function setCount(node, value) {
  node.textContent = String(value);
  node.title = numbers.format(value);
}

/** Replaces `list`'s children by one `<li>` per entry (label, count and a bar). */
export function setRanking(list, entries) {
  const max = Math.max(1, ...entries.map((e) => e.count));
  list.replaceChildren(
    ...entries.map(({ label, count }) => {
      const item = element('li');
      item.append(element('span', 'label', label), element('span', 'count', numbers.format(count)));
      const bar = element('span', 'bar');
      bar.style.width = `${(count / max) * 100}%`;
      item.append(bar);
      return item;
    }),
  );
}

/** Draws the timeline's buckets as bars. */
export function setTimeline(node, buckets) {
  const max = Math.max(1, ...buckets.map((b) => b.count));
  node.replaceChildren(
    ...buckets.map(({ start, count }) => {
      const bar = element('span');
      bar.style.height = `${Math.max(2, (count / max) * 100)}%`;
      bar.title = `${new Date(start).toLocaleString()}: ${numbers.format(count)}`;
      return bar;
    }),
  );
}

function tickerItem(alert) {
  const item = element('li');
  const time = new Date(alert.receivedAt).toLocaleTimeString([], { hour12: false });
  const country = alert.source.country;
  item.append(
    element('time', 'time', time),
    element('span', 'country', country ? country.name || country.code : 'unknown'),
    element('span', 'type', alert.honeypotType),
    element('span', 'port', alert.target.port == null ? '' : `:${alert.target.port}`),
  );
  if (alert.source.ip) item.append(element('span', 'ip', alert.source.ip));
  return item;
}

/** Puts `alerts` (newest first) on top of the ticker, keeping its latest entries. */
export function pushTicker(list, alerts) {
  const fresh = alerts.slice(0, TICKER_LENGTH).map(tickerItem);
  list.prepend(...fresh);
  while (list.children.length > TICKER_LENGTH) list.lastElementChild.remove();
}

/** Replaces the ticker by `alerts` (newest first). */
export function resetTicker(list, alerts) {
  list.replaceChildren();
  pushTicker(list, alerts);
}
