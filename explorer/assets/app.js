// Vigil explorer: the whole front end, hand-written, no framework and no build step.
// Hash routes (#/markets, #/batches/7, #/accounts/0x…) render one page at a time from the
// explorer's own origin (/api/…); one WebSocket (/api/stream) keeps the page live. Every
// list is paged, so no page grows without bound however long the chain runs.
"use strict";

const S = {
  markets: {}, books: {}, trades: {}, l1Head: null, verifiers: null,
  links: {}, wsUp: false, page: null, gen: 0, known: null,
};
const TRADES_SHOWN = 30;
const PAGE_ROWS = 25;
/** An account's open orders and a verifier's findings shown at most (the rest are counted). */
const ORDERS_SHOWN = 50;
const FINDINGS_SHOWN = 20;

// ---------- small helpers ----------
const $ = (sel, root) => (root || document).querySelector(sel);
const esc = (v) => String(v == null ? "" : v).replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
function group(intPart) { return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ","); }
/** A fixed-point integer with `decimals` decimals, shown with `shown` of them. */
function fixed(value, decimals, shown) {
  if (value == null || value === "") return "–";
  let n = Number(value);
  if (!Number.isFinite(n)) return esc(value);
  const neg = n < 0; n = Math.abs(n) / Math.pow(10, decimals);
  const [i, f] = n.toFixed(shown).split(".");
  return (neg ? "−" : "") + group(i) + (f ? "." + f : "");
}
const usdc = (micro) => fixed(micro, 6, 2);
const price = (micro) => fixed(micro, 6, 2);
function size(lots, market) {
  const d = (S.markets[market] && S.markets[market].params.size_decimals) || 0;
  return fixed(lots, d, Math.min(d, 4));
}
function symbol(market) { const m = S.markets[market]; return m ? m.params.symbol : "market " + market; }
function short(h) { h = String(h || ""); return h.length > 16 ? h.slice(0, 8) + "…" + h.slice(-6) : h; }
const hashSpan = (h) => `<span class="hash" title="${esc(h)}">${esc(short(h))}</span>`;
const txLink = (h) => `<a class="hash" href="#/tx/${esc(h)}" title="${esc(h)}">${esc(short(h))}</a>`;
const acctLink = (a) => a ? `<a class="hash" href="#/accounts/${esc(a)}" title="${esc(a)}">${esc(short(a))}</a>` : "–";
const batchLink = (i) => `<a href="#/batches/${esc(i)}">#${esc(i)}</a>`;
function when(ms) {
  if (!ms) return "–";
  const d = new Date(Number(ms));
  return d.toISOString().replace("T", " ").slice(0, 19) + " UTC";
}
function clock(ms) { return ms ? new Date(Number(ms)).toISOString().slice(11, 19) : "–"; }
function duration(ms) {
  if (ms == null) return "";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return s + " s";
  if (s < 3600) return Math.floor(s / 60) + " min " + (s % 60) + " s";
  return Math.floor(s / 3600) + " h " + Math.floor((s % 3600) / 60) + " min";
}
const badge = (text, colour) => `<span class="badge b-${colour}">${esc(text)}</span>`;
const stat = (k, v, s) => `<div class="stat"><div class="k">${esc(k)}</div><div class="v">${v}</div>${s ? `<div class="s">${s}</div>` : ""}</div>`;
const empty = (text) => `<div class="empty">${esc(text)}</div>`;

async function api(path) {
  let response;
  try { response = await fetch(path, { cache: "no-store" }); }
  catch (e) { throw new Error("the explorer is unreachable (" + e.message + ")"); }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const why = body && body.message ? body.message : response.status + " " + response.statusText;
    const err = new Error(why); err.status = response.status; err.code = body && body.code; throw err;
  }
  return body;
}
/** `api` that answers null on 404 (a thing that does not exist yet). */
async function maybe(path) {
  try { return await api(path); } catch (e) { if (e.status === 404) return null; throw e; }
}
function debounce(fn, ms) {
  let t = null;
  return () => { if (t) return; t = setTimeout(() => { t = null; fn(); }, ms); };
}
/** "1 dispute", "3 disputes". */
const counted = (n, noun) => `${n} ${noun}${Number(n) === 1 ? "" : "s"}`;

function pager(id, info) {
  return `<div class="pager" id="${id}"><button data-go="newest" ${info.first ? "disabled" : ""}>⇤ Newest</button>` +
    `<button data-go="older" ${info.more ? "" : "disabled"}>Older →</button><span>${esc(info.text || "")}</span></div>`;
}
function onPager(id, handlers) {
  const el = $("#" + id);
  if (!el) return;
  el.addEventListener("click", (ev) => {
    const go = ev.target && ev.target.getAttribute("data-go");
    if (go && handlers[go] && !ev.target.disabled) handlers[go]();
  });
}

// ---------- live feed ----------
let wsPause = 500;
function connect() {
  const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/api/stream");
  ws.onopen = () => { S.wsUp = true; wsPause = 500; setLive(); };
  ws.onclose = () => {
    S.wsUp = false; setLive();
    setTimeout(connect, wsPause); wsPause = Math.min(wsPause * 2, 5000);
  };
  ws.onerror = () => {};
  ws.onmessage = (ev) => {
    let msg; try { msg = JSON.parse(ev.data); } catch (e) { return; }
    absorb(msg.channel, msg.data);
    if (S.page && S.page.live) {
      try { S.page.live(msg.channel, msg.data); } catch (e) { showBanner("live update failed: " + e.message); }
    }
  };
}
function absorb(channel, data) {
  if (channel === "links") { S.links = data; setLive(); }
  else if (channel === "l1_head") { S.l1Head = data; headline(); }
  else if (channel === "verifiers") { S.verifiers = data; }
  else if (channel === "market") { S.markets[data.market.params.id] = data.market; }
  else if (channel === "book") { S.books[data.market] = data; }
  else if (channel === "trade") {
    const list = S.trades[data.market] || (S.trades[data.market] = []);
    if (!list.some((t) => t.seq === data.trade.seq)) list.unshift(data.trade);
    if (list.length > TRADES_SHOWN) list.length = TRADES_SHOWN;
  }
}
function setLive() {
  const el = $("#live"), label = $("#live span");
  let cls = "on", text = "live";
  if (!S.wsUp) { cls = "off"; text = "disconnected"; }
  else if (S.links.sequencer_feed === false && S.links.l1 === false) { cls = "off"; text = "upstreams down"; }
  else if (S.links.sequencer_feed === false) { cls = "degraded"; text = "sequencer feed down"; }
  else if (S.links.l1 === false) { cls = "degraded"; text = "settlement layer down"; }
  el.className = "live " + cls; label.textContent = text;
  el.title = S.links.last_error || "live feed";
  if (!S.wsUp) showBanner("Disconnected from the explorer's live feed — retrying. Figures below may be stale.");
  else if (cls !== "on") showBanner("Connected, but " + text + (S.links.last_error ? ": " + S.links.last_error : "") + ". Retrying.");
  else hideBanner();
}
function showBanner(text) { const b = $("#banner"); b.textContent = text; b.hidden = false; }
function hideBanner() { $("#banner").hidden = true; }
function headline() {
  const h = S.l1Head;
  if (!h) { $("#headline").innerHTML = ""; return; }
  const tip = h.tip && h.tip.index != null ? "#" + h.tip.index : "genesis";
  const win = h.challenge_window_blocks + " blocks" + (h.block_time_ms ? " ≈ " + duration(h.challenge_window_blocks * h.block_time_ms) : "");
  $("#headline").innerHTML = [
    ["L1 block", h.block], ["tip batch", tip], ["finalized", h.finalized_index == null ? "none" : "#" + h.finalized_index],
    ["pending", h.pending_batches], ["challenge window", win], ["escrow", usdc(h.supply && h.supply.escrow) + " USDC"],
  ].map(([k, v]) => `<div class="chip">${esc(k)}<b>${esc(v)}</b></div>`).join("");
}

// ---------- router ----------
const PAGES = {};
function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const name = PAGES[parts[0]] ? parts[0] : "markets";
  document.querySelectorAll("#nav a").forEach((a) => {
    const page = a.getAttribute("data-page");
    a.classList.toggle("active", page === name || (name === "tx" && page === "batches"));
  });
  const gen = ++S.gen;
  S.page = PAGES[name](parts.slice(1), gen);
  const title = { markets: "Markets", batches: "Batches", disputes: "Disputes", verifiers: "Verifiers", accounts: "Accounts", tx: "Transaction" }[name];
  document.title = title + " · Vigil explorer";
  S.page.load().catch((e) => {
    if (gen === S.gen) $("#page").innerHTML = `<h1>${esc(title)}</h1><div class="panel">${empty("Could not load: " + e.message)}</div>`;
  });
}
/** Writes `html` into the page if this render is still the current one. */
function paint(gen, html) { if (gen === S.gen) { $("#page").innerHTML = html; return true; } return false; }
function paintInto(gen, id, html) { const el = gen === S.gen && $("#" + id); if (el) el.innerHTML = html; return !!el; }

async function knownMarkets() {
  if (Object.keys(S.markets).length === 0) {
    const m = await api("/api/seq/v1/markets");
    for (const info of m.markets) S.markets[info.params.id] = info;
  }
  return Object.values(S.markets).sort((a, b) => a.params.id - b.params.id);
}

// ---------- markets ----------
PAGES.markets = (args, gen) => {
  const page = { interval: "1m", tradePages: [], trades: null };
  let id = args[0] ? Number(args[0]) : null;
  const refreshCandles = debounce(() => candles(), 1500);
  async function candles() {
    const c = await api(`/api/seq/v1/markets/${id}/candles?interval=${page.interval}&limit=80`);
    paintInto(gen, "chart", candleChart(c.candles));
  }
  async function trades(before) {
    const q = before != null ? `&before_seq=${before}` : "";
    const t = await api(`/api/seq/v1/markets/${id}/trades?limit=${TRADES_SHOWN}${q}`);
    page.trades = t;
    if (before == null) S.trades[id] = t.trades.slice();
    drawTrades(); drawStats();
  }
  function drawTrades() {
    const newest = page.tradePages.length === 0;
    const rows = newest ? (S.trades[id] || []) : page.trades.trades;
    paintInto(gen, "trades", tradeTable(rows) + pager("trade-pager", {
      first: newest, more: page.trades && page.trades.next_before_seq != null,
      text: newest ? "live" : "page " + (page.tradePages.length + 1),
    }));
    onPager("trade-pager", {
      newest: () => { page.tradePages = []; trades(null); },
      older: () => { page.tradePages.push(page.trades.next_before_seq); trades(page.trades.next_before_seq); },
    });
  }
  page.load = async () => {
    const markets = await knownMarkets();
    if (id == null || !S.markets[id]) id = markets.length ? markets[0].params.id : 0;
    if (!S.books[id]) S.books[id] = await api(`/api/seq/v1/markets/${id}/book?levels=20`);
    const tabs = markets.map((m) => `<a href="#/markets/${m.params.id}" class="${m.params.id === id ? "active" : ""}">${esc(m.params.symbol)}</a>`).join("");
    const intervals = ["1m", "5m", "1h", "1d"].map((i) => `<button data-iv="${i}" class="${i === page.interval ? "active" : ""}">${i}</button>`).join("");
    if (!paint(gen, `<h1>Markets <small>book, trades and candles, live from the sequencer's feed</small></h1>
      <div class="tabs">${tabs}</div><div id="market-stats"></div>
      <div class="grid gmk">
        <div class="panel"><h2>${esc(symbol(id))} candles</h2><div class="tabs" id="intervals">${intervals}</div><div id="chart"></div></div>
        <div class="panel"><h2>Order book</h2><div id="book"></div></div>
        <div class="panel"><h2>Recent trades</h2><div id="trades"></div></div>
      </div>`)) return;
    $("#intervals").addEventListener("click", (ev) => {
      const iv = ev.target.getAttribute("data-iv"); if (!iv) return;
      page.interval = iv;
      document.querySelectorAll("#intervals button").forEach((b) => b.classList.toggle("active", b.getAttribute("data-iv") === iv));
      candles();
    });
    drawStats(); drawBook();
    await Promise.all([candles(), trades(null)]);
  };
  function drawStats() {
    const m = S.markets[id]; if (!m) return;
    const last = (S.trades[id] || [])[0];
    const b = m.breaker || { state: "open" };
    const breaker = b.state === "open" ? badge("open", "green")
      : badge("reduce-only", "red") + `<div class="s">${esc(b.reason || "")} · resumes ≥ ${esc(clock(b.resumes_at_ms))}</div>`;
    paintInto(gen, "market-stats", `<div class="stats">
      ${stat("Index (oracle) price", m.mark_price ? price(m.mark_price) : "none yet", "signed " + esc(clock(m.price_timestamp_ms)))}
      ${stat("Mark (last trade)", last ? price(last.price) : "–", last ? "batch #" + esc(last.batch_index) : "no trade yet")}
      ${stat("Funding index", esc(m.funding_index), "cumulative, per unit")}
      ${stat("Open interest", size(m.long_open_interest, id), "cap " + size(m.params.open_interest_cap, id))}
      ${stat("Circuit breaker", breaker, "")}
      ${stat("Fees", (m.params.maker_fee_bps / 100) + "% / " + (m.params.taker_fee_bps / 100) + "%", "maker / taker")}
    </div>`);
  }
  function drawBook() { paintInto(gen, "book", bookTable(S.books[id], id)); }
  page.live = (channel, data) => {
    if (channel === "book" && data.market === id) drawBook();
    else if (channel === "market" && data.market.params.id === id) drawStats();
    else if (channel === "trade" && data.market === id) {
      if (page.tradePages.length === 0) drawTrades();
      drawStats(); refreshCandles();
    } else if (channel === "lagged") page.load();
  };
  return page;
};

function tradeTable(rows) {
  if (!rows.length) return empty("No trades yet.");
  return `<table><thead><tr><th>Time</th><th>Side</th><th class="r">Price</th><th class="r">Size</th><th class="r">Batch</th></tr></thead><tbody>` +
    rows.slice(0, TRADES_SHOWN).map((t) => `<tr><td class="mono">${esc(clock(t.timestamp_ms))}</td>
      <td class="${t.taker_side === "buy" ? "up" : "down"}">${esc(t.taker_side)}</td>
      <td class="r mono">${price(t.price)}</td><td class="r mono">${size(t.size, t.market != null ? t.market : currentMarket())}</td>
      <td class="r">${batchLink(t.batch_index)}</td></tr>`).join("") + "</tbody></table>";
}
function currentMarket() { const m = location.hash.match(/^#\/markets\/(\d+)/); return m ? Number(m[1]) : Number(Object.keys(S.markets)[0] || 0); }

function bookTable(book, market) {
  if (!book || (!book.bids.length && !book.asks.length)) return empty("The book is empty.");
  const asks = book.asks.slice(0, 12), bids = book.bids.slice(0, 12);
  const cum = (levels) => { let t = 0; return levels.map((l) => (t += Number(l.size))); };
  const ca = cum(asks), cb = cum(bids);
  const max = Math.max(ca[ca.length - 1] || 0, cb[cb.length - 1] || 0, 1);
  const row = (l, c, side) => `<tr class="${side}"><td class="p mono">${price(l.price)}</td><td class="r mono">${size(l.size, market)}</td>
    <td class="r mono">${size(c, market)}<span class="bar" style="width:${(100 * c / max).toFixed(1)}%"></span></td><td class="r muted">${esc(l.orders)}</td></tr>`;
  const spread = asks.length && bids.length ? price(asks[0].price - bids[0].price) : "–";
  return `<table class="book"><thead><tr><th>Price</th><th class="r">Size</th><th class="r">Total</th><th class="r">Orders</th></tr></thead><tbody>` +
    asks.map((l, i) => row(l, ca[i], "ask")).reverse().join("") +
    `<tr><td colspan="4" class="spread">spread ${spread} · book seq ${esc(book.seq != null ? book.seq : "–")}</td></tr>` +
    bids.map((l, i) => row(l, cb[i], "bid")).join("") + "</tbody></table>";
}

function candleChart(candles) {
  const W = 760, H = 320, padR = 70, volH = 44;
  if (!candles || !candles.length) {
    return `<svg class="chart" viewBox="0 0 ${W} ${H}"><text x="${W / 2}" y="${H / 2}" fill="#8b9ab5" text-anchor="middle" font-size="14">No trades in this interval yet</text></svg>`;
  }
  const hi = Math.max(...candles.map((c) => Number(c.high))), lo = Math.min(...candles.map((c) => Number(c.low)));
  const span = hi - lo || Math.max(hi * 0.002, 1);
  const top = hi + span * 0.08, bottom = lo - span * 0.08;
  // The price plot ends above the volume strip (H - 22 - volH .. H - 22), so a volume bar
  // never reads as a candle.
  const plotH = H - 22 - volH - 18, plotW = W - padR - 10;
  const y = (p) => 10 + (top - Number(p)) / (top - bottom) * plotH;
  const n = Math.max(candles.length, 30), step = plotW / n, bw = Math.max(2, step * 0.62);
  const vmax = Math.max(...candles.map((c) => Number(c.volume)), 1);
  let out = `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="candle chart">`;
  for (let i = 0; i <= 4; i++) {
    const p = bottom + (top - bottom) * i / 4, yy = y(p);
    out += `<line x1="10" x2="${W - padR}" y1="${yy}" y2="${yy}" stroke="#1f2b45"/>` +
      `<text x="${W - padR + 6}" y="${yy + 4}" fill="#8b9ab5" font-size="11">${price(p)}</text>`;
  }
  candles.forEach((c, i) => {
    const x = 10 + step * (i + (n - candles.length)) + step / 2;
    const up = Number(c.close) >= Number(c.open), col = up ? "#22c55e" : "#f43f5e";
    const yo = y(c.open), yc = y(c.close);
    out += `<line x1="${x}" x2="${x}" y1="${y(c.high)}" y2="${y(c.low)}" stroke="${col}"/>` +
      `<rect x="${x - bw / 2}" y="${Math.min(yo, yc)}" width="${bw}" height="${Math.max(2, Math.abs(yc - yo))}" fill="${col}"/>`;
    const vh = volH * Number(c.volume) / vmax;
    out += `<rect x="${x - bw / 2}" y="${H - 22 - vh}" width="${bw}" height="${vh}" fill="${col}" opacity=".35"/>`;
    if (i === 0 || i === candles.length - 1 || i % Math.ceil(candles.length / 5) === 0) {
      out += `<text x="${x}" y="${H - 6}" fill="#8b9ab5" font-size="10" text-anchor="middle">${clock(c.open_ms).slice(0, 5)}</text>`;
    }
  });
  const last = candles[candles.length - 1];
  out += `<line x1="10" x2="${W - padR}" y1="${y(last.close)}" y2="${y(last.close)}" stroke="#38bdf8" stroke-dasharray="3 3"/>` +
    `<rect x="${W - padR + 2}" y="${y(last.close) - 9}" width="${padR - 4}" height="18" rx="3" fill="#38bdf8"/>` +
    `<text x="${W - padR + 6}" y="${y(last.close) + 4}" fill="#04121f" font-size="11" font-weight="700">${price(last.close)}</text>`;
  return out + "</svg>";
}

// ---------- batches ----------
function windowCell(s) {
  const h = S.l1Head;
  if (s.status.status !== "pending" || !h) return "";
  const total = Math.max(1, s.deadline_block - s.posted_block), left = s.deadline_block - h.block;
  if (left < 0) return `<span class="muted">window closed, finalizing</span>`;
  const pct = Math.min(100, 100 * (total - left) / total);
  const eta = h.block_time_ms ? " · ≈ " + duration(left * h.block_time_ms) : "";
  return `<span class="window"><i style="width:${pct.toFixed(0)}%"></i></span><span class="mono">${left} blocks${eta}</span>`;
}
function statusBadge(s) {
  const st = s.status;
  let b = st.status === "pending" ? badge("challenge window", "amber")
    : st.status === "finalized" ? badge("finalized", "green")
      : badge("reverted", "red") + ` <a href="#/disputes">dispute #${esc(st.dispute)}</a>`;
  if (s.resequences) b += " " + badge("re-sequenced", "violet");
  return b;
}
PAGES.batches = (args, gen) => {
  if (args[0] != null) return batchPage(Number(args[0]), gen);
  const page = { cursors: [], before: null, data: null };
  const refresh = debounce(() => draw(), 500);
  async function draw() {
    const q = page.before != null ? `&before=${page.before}` : "";
    const [data, status] = await Promise.all([api(`/api/submissions?limit=${PAGE_ROWS}${q}`), api("/api/seq/v1/status").catch(() => null)]);
    page.data = data;
    const pipeline = status ? `<div class="stats">
      ${stat("Open batch", status.open_batch ? "#" + status.open_batch.index : "none", status.open_batch ? status.open_batch.tx_count + " txs so far" : "")}
      ${stat("Last sealed", status.last_sealed == null ? "–" : "#" + status.last_sealed, "by the sequencer")}
      ${stat("Last posted", status.last_posted == null ? "–" : "#" + status.last_posted, "to the settlement layer")}
      ${stat("Last finalized", status.last_finalized == null ? "–" : "#" + status.last_finalized, "window passed")}
      ${stat("Transactions", group(String(status.next_seq)), "sequenced")}
      ${stat("Submissions", group(String(data.total)), "ever posted")}
    </div>` : "";
    const strip = data.submissions.slice().reverse().map((s) => {
      const cls = s.status.status === "reverted" ? "reverted" : s.resequences ? "resequenced" : s.status.status;
      return `<a class="s-${cls}" href="#/batches/${s.index}" title="batch ${s.index} · submission ${s.submission_id} · ${cls}"></a>`;
    }).join("");
    const rows = data.submissions.map((s) => `<tr>
      <td>${batchLink(s.index)}</td><td class="muted">${esc(s.submission_id)}</td><td>${statusBadge(s)}</td>
      <td>${windowCell(s)}</td><td class="r">${esc(s.tx_count)}</td><td class="r">${esc(s.posted_block)}</td>
      <td>${hashSpan(s.header_hash)}</td><td>${hashSpan(s.post_state_root)}</td><td class="mono muted">${esc(clock(s.timestamp_ms))}</td></tr>`).join("");
    paint(gen, `<h1>Batches <small>every posting on the settlement layer, reverted ones included</small></h1>${pipeline}
      <div class="panel"><h2>Timeline</h2>
      <div class="legend"><span style="--c:var(--amber)">in challenge window</span><span style="--c:var(--green)">finalized</span>
      <span style="--c:var(--red)">reverted</span><span style="--c:var(--violet)">re-sequenced</span></div>
      <div class="strip">${strip}</div>
      ${data.submissions.length ? `<table id="batch-table"><thead><tr><th>Batch</th><th>Submission</th><th>Status</th><th>Challenge window</th><th class="r">Txs</th>
      <th class="r">Posted at block</th><th>Header</th><th>Post-state root</th><th>Time</th></tr></thead><tbody>${rows}</tbody></table>` : empty("No batch has been posted yet.")}
      ${pager("batch-pager", { first: page.before == null, more: data.next_before != null, text: counted(data.total, "submission") })}</div>`);
    onPager("batch-pager", {
      newest: () => { page.before = null; page.cursors = []; draw(); },
      older: () => { page.cursors.push(page.before); page.before = data.next_before; draw(); },
    });
  }
  return {
    load: draw,
    live: (channel) => {
      if (channel === "l1_event" || channel === "batch" || channel === "batch_reverted") refresh();
      // The countdowns move with the L1 head; the list itself is the explorer's own index.
      if (channel === "l1_head" && page.before == null) refresh();
    },
  };
};

function batchPage(index, gen) {
  const page = { from: 0 };
  const refresh = debounce(() => draw(), 800);
  async function draw() {
    const [b, disputes] = await Promise.all([api(`/api/batch/${index}?from=${page.from}&limit=${PAGE_ROWS}`), api("/api/disputes?limit=200")]);
    const seq = b.sequencer || {};
    const st = seq.status ? seq.status.status : (b.postings.length ? "posted" : "unknown");
    const colour = { finalized: "green", posted: "amber", sealed: "blue", open: "grey", reverted: "red" }[st] || "grey";
    const mine = disputes.disputes.filter((d) => d.batch_index === index);
    const badChunks = new Set(mine.map((d) => d.chunk));
    const postings = b.postings.map((s) => `<tr><td>${esc(s.submission_id)}</td><td>${statusBadge(s)}</td><td>${windowCell(s)}</td>
      <td class="r">${esc(s.posted_block)}</td><td class="r">${esc(s.deadline_block)}</td><td>${acctLink(s.poster)}</td>
      <td>${hashSpan(s.header_hash)}</td><td>${hashSpan(s.post_state_root)}</td></tr>`).join("");
    const checkpoints = (b.checkpoints || []).map((c, j) => `<tr><td>${j}${badChunks.has(j) ? " " + badge("proven bad in an earlier posting", "red") : ""}</td>
      <td>${hashSpan(c)}</td><td>${hashSpan(b.receipt_roots[j])}</td></tr>`).join("");
    const txs = (b.txs || []).map((t) => {
      const l = t.lookup || {}, r = l.receipt || {};
      const status = r.status ? (r.status === "ok" ? badge("ok", "green") : badge(r.status, "red")) : badge(l.state || "unknown", "grey");
      const fills = r.fills ? r.fills.length : 0;
      return `<tr><td class="r">${esc(t.position)}</td><td>${txLink(t.hash)}</td><td>${esc(t.kind)}</td><td>${acctLink(t.account)}</td>
        <td>${status}</td><td class="r">${fills}</td><td>${r.withdrawal_id != null ? "withdrawal #" + esc(r.withdrawal_id) : ""}</td></tr>`;
    }).join("");
    const h = b.header || {};
    paint(gen, `<h1>Batch #${esc(index)} ${badge(st, colour)}</h1>
      <div class="stats">${stat("Transactions", esc(b.tx_count || 0), "")}${stat("Chunks", esc((b.checkpoints || []).length), "checkpoints")}
      ${stat("Timestamp", esc(clock(seq.timestamp_ms)), esc(when(seq.timestamp_ms).slice(0, 10)))}
      ${stat("L1 queue", esc(seq.queue_start) + " → " + esc(seq.queue_end), "messages consumed")}
      ${stat("Postings", esc(b.postings.length), mine.length ? mine.length + " disputed" : "none disputed")}</div>
      <div class="grid g2"><div class="panel"><h2>Roots</h2><div class="kv">
        <div>Header hash</div><div class="mono">${esc(seq.header_hash || "–")}</div>
        <div>Previous state root</div><div class="mono">${esc(seq.prev_state_root || "–")}</div>
        <div>Post-state root</div><div class="mono">${esc(seq.post_state_root || "–")}</div>
        <div>Transactions root</div><div class="mono">${esc(h.tx_root || "–")}</div>
        <div>Checkpoint root</div><div class="mono">${esc(h.checkpoint_root || "–")}</div>
        <div>Receipts root</div><div class="mono">${esc(h.receipts_root || "–")}</div></div></div>
      <div class="panel"><h2>Checkpoints (chunk roots)</h2>${checkpoints ? `<table><thead><tr><th>Chunk</th><th>State root</th><th>Receipts root</th></tr></thead><tbody>${checkpoints}</tbody></table>` : empty("Not sealed yet.")}</div></div>
      <div class="panel" style="margin-top:14px"><h2>Postings on the settlement layer</h2>${postings ? `<table><thead><tr><th>Submission</th><th>Status</th><th>Window</th><th class="r">Posted</th><th class="r">Deadline</th><th>Poster</th><th>Header</th><th>Post-state root</th></tr></thead><tbody>${postings}</tbody></table>` : empty("Not posted yet.")}
      ${mine.map((d) => `<div class="note">Dispute #${d.number}: chunk ${d.chunk} of submission ${d.submission_id} was proven wrong — <a href="#/disputes">see the proof</a>.</div>`).join("")}</div>
      <div class="panel" style="margin-top:14px"><h2>Transactions and receipts</h2>${txs ? `<table><thead><tr><th class="r">#</th><th>Hash</th><th>Kind</th><th>Account</th><th>Status</th><th class="r">Fills</th><th>Outcome</th></tr></thead><tbody>${txs}</tbody></table>` : empty("No transactions to show.")}
      ${pager("tx-pager", { first: page.from === 0, more: page.from + PAGE_ROWS < (b.tx_count || 0), text: b.tx_count ? `${page.from + 1}–${Math.min(b.tx_count, page.from + PAGE_ROWS)} of ${b.tx_count}` : "" })}</div>`);
    onPager("tx-pager", { newest: () => { page.from = 0; draw(); }, older: () => { page.from += PAGE_ROWS; draw(); } });
  }
  return { load: draw, live: (channel, data) => { if ((channel === "batch" && data.batch.index === index) || channel === "batch_reverted" || channel === "l1_event") refresh(); } };
}

// ---------- disputes ----------
PAGES.disputes = (args, gen) => {
  const page = { before: null };
  const refresh = debounce(() => draw(), 600);
  function verifierName(address) {
    const v = (S.verifiers || []).find((x) => x.status && x.status.challenger && x.status.challenger.toLowerCase() === String(address).toLowerCase());
    return v ? "verifier " + v.number : "";
  }
  function outcomes(d) {
    return (S.verifiers || []).map((v) => {
      const c = v.status && v.status.challenges.find((c) => c.submission_id === d.submission_id);
      if (!c) return `<tr><td>verifier ${v.number}</td><td class="muted">${v.up ? "no finding" : "unreachable"}</td><td></td></tr>`;
      const o = c.outcome;
      const colour = o.outcome === "upheld" ? "green" : o.outcome === "already_reverted" ? "blue" : o.outcome === "unsubmitted" ? "amber" : "red";
      return `<tr><td>verifier ${v.number}</td><td>${badge(o.outcome.replace("_", " "), colour)}${o.reward != null ? " reward " + usdc(o.reward) + " USDC" : ""}</td>
        <td class="muted">found chunk ${esc(c.chunk)}, ${esc(c.attempts)} attempt(s)</td></tr>`;
    }).join("");
  }
  function card(d) {
    const rootsDiffer = d.claimed_root !== d.computed_root;
    const receiptsDiffer = d.claimed_receipts_root !== d.computed_receipts_root;
    const slash = d.slash ? `${usdc(d.slash.amount)} USDC from ${acctLink(d.slash.sequencer)} → ${usdc(d.slash.challenger_reward)} USDC reward, ${usdc(d.slash.burned)} USDC burned` : "pending";
    const early = d.deadline_block != null ? ` (${d.deadline_block - d.ruling_block} blocks before the deadline)` : "";
    return `<div class="panel dispute" id="dispute-${d.number}"><h2>Dispute #${d.number} ${badge("fraud proven", "red")}
      <span>batch ${batchLink(d.batch_index)} · chunk ${esc(d.chunk)}</span></h2>
      <div class="roots"><div class="root bad"><div class="k">Claimed state root (posted)</div>${esc(d.claimed_root)}</div>
      <div class="root good"><div class="k">Honest state root (re-executed)</div>${esc(d.computed_root)}</div>
      <div class="root ${receiptsDiffer ? "bad" : "good"}"><div class="k">Claimed receipts root</div>${esc(d.claimed_receipts_root)}</div>
      <div class="root good"><div class="k">Honest receipts root</div>${esc(d.computed_receipts_root)}</div></div>
      <div class="kv">
        <div>What was wrong</div><div>${rootsDiffer && receiptsDiffer ? "the state root and the receipts root" : rootsDiffer ? "the state root" : "the receipts root"} of chunk ${esc(d.chunk)}</div>
        <div>Challenged submission</div><div>${esc(d.submission_id)} · posted at block ${esc(d.posted_block)}, challengeable to block ${esc(d.deadline_block)}</div>
        <div>Ruling</div><div>${badge("upheld", "green")} at block ${esc(d.ruling_block)}${early}, ${esc(when(d.ruling_ms))}</div>
        <div>Proved by</div><div>${acctLink(d.challenger)} ${esc(verifierName(d.challenger))}</div>
        <div>Witness</div><div>${d.witness_bytes != null ? group(String(d.witness_bytes)) + " bytes" : "reading…"} · <a href="/api/l1/v1/challenges/${d.submission_id}" target="_blank">the proof as ruled on</a></div>
        <div>Slash</div><div class="slash">${slash}</div>
        <div>Reverted range</div><div>${d.reverted.length ? d.reverted.map(([i, s]) => batchLink(i) + ` <span class="muted">(sub ${s})</span>`).join(", ") : "–"}</div>
        <div>Re-sequenced as</div><div>${d.resequenced.length ? d.resequenced.map(([i, s]) => batchLink(i) + ` <span class="muted">(sub ${s})</span>`).join(", ") : badge("waiting for the sequencer", "amber")}</div>
      </div>
      ${S.verifiers && S.verifiers.length ? `<table style="margin-top:10px"><thead><tr><th>Verifier</th><th>Its challenge</th><th></th></tr></thead><tbody>${outcomes(d)}</tbody></table>` : ""}
    </div>`;
  }
  async function draw() {
    const q = page.before != null ? `&before=${page.before}` : "";
    const data = await api(`/api/disputes?limit=10${q}`);
    paint(gen, `<h1>Disputes <small>every fraud proof the settlement layer upheld</small></h1>
      <div class="stats">${stat("Fraud proofs upheld", esc(data.total), "")}
      ${stat("Slashed in all", usdc(data.disputes.reduce((t, d) => t + (d.slash ? d.slash.amount : 0), 0)) + " USDC", page.before == null ? "on this page" : "")}
      ${stat("Batches reverted", esc(data.disputes.reduce((t, d) => t + d.reverted.length, 0)), "on this page")}</div>
      ${data.disputes.length ? data.disputes.map(card).join("") : `<div class="panel">${empty("No fraud proof yet: every posted batch has held up.")}</div>`}
      ${pager("dispute-pager", { first: page.before == null, more: data.next_before != null, text: counted(data.total, "dispute") })}`);
    onPager("dispute-pager", { newest: () => { page.before = null; draw(); }, older: () => { page.before = data.next_before; draw(); } });
  }
  return {
    load: draw,
    live: (channel, data) => {
      if (channel === "l1_event" && ["challenge_upheld", "batch_reverted", "slashed", "batch_posted"].includes(data.event.type)) refresh();
      if (channel === "verifiers") refresh();
    },
  };
};

// ---------- verifiers ----------
PAGES.verifiers = (args, gen) => {
  function draw() {
    const vs = S.verifiers, h = S.l1Head;
    if (!vs) { paint(gen, `<h1>Verifiers</h1><div class="panel">${empty("Waiting for the first status read…")}</div>`); return; }
    const colour = { agrees: "green", behind: "amber", disputes: "red", disagrees: "red", halted: "red", unreachable: "grey", ahead: "blue", unknown: "grey" };
    const cards = vs.map((v) => {
      if (!v.up) return `<div class="panel"><h2>Verifier ${v.number} ${badge("unreachable", "grey")}</h2><div class="muted">${esc(v.url)}: ${esc(v.error)}</div></div>`;
      const s = v.status;
      const findings = s.challenges.length ? `<table><thead><tr><th>Batch</th><th>Chunk</th><th>Submission</th><th>Outcome</th><th class="r">Attempts</th></tr></thead><tbody>` +
        s.challenges.slice(-FINDINGS_SHOWN).reverse().map((c) => `<tr><td>${batchLink(c.batch_index)}</td><td>${esc(c.chunk)}</td><td>${esc(c.submission_id)}</td>
          <td>${badge(c.outcome.outcome.replace("_", " "), c.outcome.outcome === "upheld" ? "green" : c.outcome.outcome === "unsubmitted" ? "amber" : "blue")}</td><td class="r">${esc(c.attempts)}</td></tr>`).join("") + "</tbody></table>"
        : `<div class="muted">No fraud found: every batch it re-executed was honest.</div>`;
      return `<div class="panel"><h2>Verifier ${v.number} ${badge(v.agreement === "agrees" ? "agrees with the L1 tip" : v.agreement, colour[v.agreement] || "grey")} ${badge(s.mode, "blue")}</h2>
        <div class="stats">${stat("Lag", esc(s.lag.batches) + " batches", esc(s.lag.blocks) + " blocks · " + esc(s.lag.events) + " events")}
        ${stat("Verified batch", s.verified_batch == null ? "genesis" : "#" + s.verified_batch, "synced #" + esc(s.synced_batch == null ? "–" : s.synced_batch))}
        ${stat("Re-executed", group(String(s.totals.actions_reexecuted)), esc(s.totals.batches_verified) + " batches honest")}
        ${stat("Bad batches found", esc(s.totals.bad_batches), esc(s.challenges.length) + " challenges")}</div>
        <div class="kv"><div>URL</div><div class="mono">${esc(v.url)}</div>
        <div>Last verified root</div><div class="mono">${esc(s.verified_root)}</div>
        <div>L1 tip root</div><div class="mono">${esc(h && h.tip ? h.tip.state_root : "–")}</div>
        <div>Challenger account</div><div>${acctLink(s.challenger)}</div>
        <div>Invariant audit</div><div>${s.audit && s.audit.violation ? badge("violation", "red") : badge("clean", "green") + (s.audit && s.audit.passed_batch != null ? ` through batch #${esc(s.audit.passed_batch)}` : "")}</div>
        <div>Solvency</div><div>${s.solvency ? "liabilities checked at batch #" + esc(s.solvency.batch_index) : "–"}</div>
        <div>Halted</div><div>${s.halted ? badge(s.halted, "red") : "no"}</div></div>
        <h2 style="margin-top:12px">Findings</h2>${findings}</div>`;
    }).join("");
    paint(gen, `<h1>Verifiers <small>each re-executes every batch from the settlement layer's data</small></h1><div class="grid g2">${cards}</div>`);
  }
  return { load: async () => draw(), live: (channel) => { if (channel === "verifiers" || channel === "l1_head") draw(); } };
};

// ---------- accounts ----------
PAGES.accounts = (args, gen) => {
  if (args[0]) return accountPage(args[0], gen);
  async function draw() {
    const known = await api("/api/accounts");
    const rows = [];
    for (const a of known.accounts.slice(0, PAGE_ROWS)) {
      const v = await maybe(`/api/seq/v1/accounts/${a}`);
      rows.push(`<tr><td>${acctLink(a)}</td><td class="mono">${esc(a)}</td><td class="r mono">${v ? usdc(v.collateral) : "–"}</td>
        <td class="r mono">${v ? usdc(v.equity) : "–"}</td><td class="r">${v ? v.positions.length : "–"}</td><td class="r">${v ? v.open_orders.length : "–"}</td></tr>`);
    }
    paint(gen, `<h1>Accounts <small>search any address above; these deposited through the settlement layer</small></h1>
      <div class="panel">${rows.length ? `<table><thead><tr><th>Account</th><th>Address</th><th class="r">Collateral (USDC)</th><th class="r">Equity (USDC)</th><th class="r">Positions</th><th class="r">Open orders</th></tr></thead><tbody>${rows.join("")}</tbody></table>` : empty("No deposits yet.")}</div>`);
  }
  return { load: draw };
};

function withdrawalStatus(w) {
  if (!w) return badge("unknown", "grey");
  const s = w.status;
  switch (s.status) {
    case "pending": return badge("pending", "grey") + " batch still open";
    case "in_batch": return badge("in batch", "blue") + " waiting to be posted";
    case "challenge_window": return badge("challenge window", "amber") + ` ${esc(s.blocks_remaining)} blocks${s.eta_ms != null ? " · ETA ≈ " + duration(s.eta_ms) : ""}`;
    case "claimable": return badge("claimable", "green") + ` proof against batch ${batchLink(s.proof_batch_index)}'s root (${(s.proof.length - 2) / 2} bytes)`;
    case "claimed": return badge("claimed", "violet") + ` at block ${esc(s.claimed_block)}`;
    default: return badge(s.status, "grey");
  }
}

function accountPage(address, gen) {
  const page = { before: null, pages: [] };
  const refresh = debounce(() => draw(), 1000);
  async function draw() {
    const q = page.before != null ? `&before_seq=${page.before}` : "";
    await knownMarkets();
    const [v, l1, fills, wd] = await Promise.all([
      maybe(`/api/seq/v1/accounts/${address}`), maybe(`/api/l1/v1/accounts/${address}`),
      api(`/api/seq/v1/accounts/${address}/fills?limit=${PAGE_ROWS}${q}`), api(`/api/accounts/${address}/withdrawals`)]);
    const positions = v && v.positions.length ? `<table><thead><tr><th>Market</th><th class="r">Size</th><th class="r">Entry</th><th class="r">Mark</th><th class="r">Unrealized PnL</th><th class="r">Funding</th><th class="r">Maint. margin</th></tr></thead><tbody>` +
      v.positions.map((p) => `<tr><td>${esc(symbol(p.market))}</td><td class="r mono ${p.size > 0 ? "up" : "down"}">${size(p.size, p.market)}</td>
        <td class="r mono">${price(p.entry_price)}</td><td class="r mono">${price(p.mark_price)}${p.price_stale ? " " + badge("stale", "amber") : ""}</td>
        <td class="r mono ${p.unrealized_pnl >= 0 ? "up" : "down"}">${usdc(p.unrealized_pnl)}</td><td class="r mono">${usdc(p.funding)}</td><td class="r mono">${usdc(p.maintenance_margin)}</td></tr>`).join("") + "</tbody></table>"
      : empty("No open positions.");
    const orders = v && v.open_orders.length ? `<table><thead><tr><th>Market</th><th>Side</th><th class="r">Price</th><th class="r">Remaining</th><th class="r">Nonce</th><th>Reduce-only</th></tr></thead><tbody>` +
      v.open_orders.slice(0, ORDERS_SHOWN).map((o) => `<tr><td>${esc(symbol(o.market))}</td><td class="${o.is_buy ? "up" : "down"}">${o.is_buy ? "buy" : "sell"}</td><td class="r mono">${price(o.price)}</td>
        <td class="r mono">${size(o.remaining, o.market)}</td><td class="r">${esc(o.nonce)}</td><td>${o.reduce_only ? "yes" : ""}</td></tr>`).join("") + "</tbody></table>" +
      (v.open_orders.length > ORDERS_SHOWN ? `<div class="note">and ${group(String(v.open_orders.length - ORDERS_SHOWN))} more</div>` : "")
      : empty("No open orders.");
    const fillRows = fills.fills.map((f) => `<tr><td class="mono">${esc(clock(f.timestamp_ms))}</td><td>${esc(symbol(f.market))}</td>
      <td class="${f.side === "buy" ? "up" : "down"}">${esc(f.side)}</td><td>${esc(f.role)}</td><td class="r mono">${price(f.price)}</td><td class="r mono">${size(f.size, f.market)}</td>
      <td class="r mono">${usdc(f.fee)}</td><td>${acctLink(f.counterparty)}</td><td>${batchLink(f.batch_index)}</td><td>${txLink(f.tx_hash)}</td></tr>`).join("");
    const wdRows = wd.withdrawals.map((w) => `<tr><td>${w.withdrawal_id != null ? "#" + esc(w.withdrawal_id) : "–"}</td>
      <td class="r mono">${w.withdrawal ? usdc(w.withdrawal.amount) : "–"}</td><td>${w.withdrawal ? batchLink(w.withdrawal.batch_index) : "–"}</td>
      <td>${txLink(w.tx_hash)}</td><td>${withdrawalStatus(w.withdrawal)}</td></tr>`).join("");
    paint(gen, `<h1>Account <small class="mono">${esc(address)}</small></h1>
      <div class="stats">${stat("Collateral", v ? usdc(v.collateral) : "–", "USDC on L2")}${stat("Equity", v ? usdc(v.equity) : "–", "USDC, marked to the oracle")}
      ${stat("Initial margin", v ? usdc(v.initial_margin) : "–", "maintenance " + (v ? usdc(v.maintenance_margin) : "–"))}
      ${stat("Liquidatable", v && v.liquidatable_markets.length ? badge("yes", "red") : badge("no", "green"), "")}
      ${stat("L1 balance", l1 ? usdc(l1.balance) : "–", l1 ? "bond " + usdc(l1.bond) : "")}</div>
      <div class="grid g2"><div class="panel"><h2>Positions</h2>${positions}</div><div class="panel"><h2>Open orders</h2>${orders}</div></div>
      <div class="panel" style="margin-top:14px"><h2>Fills</h2>${fillRows ? `<table id="fills"><thead><tr><th>Time</th><th>Market</th><th>Side</th><th>Role</th><th class="r">Price</th><th class="r">Size</th><th class="r">Fee</th><th>Counterparty</th><th>Batch</th><th>Tx</th></tr></thead><tbody>${fillRows}</tbody></table>` : empty("No fills.")}
      ${pager("fill-pager", { first: page.before == null, more: fills.next_before_seq != null, text: page.before == null ? "newest" : "page " + (page.pages.length + 1) })}</div>
      <div class="panel" style="margin-top:14px"><h2>Withdrawals</h2>${wdRows ? `<table><thead><tr><th>Id</th><th class="r">Amount (USDC)</th><th>Batch</th><th>Tx</th><th>Status</th></tr></thead><tbody>${wdRows}</tbody></table>` : empty("No withdrawals.")}</div>`);
    onPager("fill-pager", {
      newest: () => { page.before = null; page.pages = []; draw(); },
      older: () => { page.pages.push(page.before); page.before = fills.next_before_seq; draw(); },
    });
  }
  return {
    load: draw,
    live: (channel, data) => {
      const mine = channel === "withdrawal" && String(data.account).toLowerCase() === address.toLowerCase();
      if (mine || (channel === "trade" && page.before == null) || channel === "l1_event" || channel === "batch") refresh();
    },
  };
}

// ---------- one transaction ----------
PAGES.tx = (args, gen) => ({
  load: async () => {
    const hash = args[0] || "";
    const t = await maybe(`/api/seq/v1/txs/${hash}`);
    if (!t) { paint(gen, `<h1>Transaction</h1><div class="panel">${empty("The sequencer knows no transaction " + hash + ".")}</div>`); return; }
    const r = t.receipt, bs = t.batch_status;
    const fills = r.fills.length ? `<table><thead><tr><th>Market</th><th>Maker</th><th>Taker</th><th class="r">Price</th><th class="r">Size</th><th>Taker side</th><th class="r">Maker fee</th><th class="r">Taker fee</th></tr></thead><tbody>` +
      r.fills.map((f) => `<tr><td>${esc(symbol(f.market))}</td><td>${acctLink(f.maker)}</td><td>${acctLink(f.taker)}</td><td class="r mono">${price(f.price)}</td>
        <td class="r mono">${size(f.size, f.market)}</td><td>${f.taker_is_buy ? "buy" : "sell"}</td><td class="r mono">${usdc(f.maker_fee)}</td><td class="r mono">${usdc(f.taker_fee)}</td></tr>`).join("") + "</tbody></table>" : empty("No fills.");
    paint(gen, `<h1>Transaction <small class="mono">${esc(hash)}</small></h1>
      <div class="stats">${stat("State", badge(t.state, t.state === "included" ? "green" : "red"), "")}${stat("Receipt", badge(r.status, r.status === "ok" ? "green" : "red"), esc(r.detail || ""))}
      ${stat("Batch", batchLink(t.batch_index), "position " + esc(t.position))}${stat("Batch status", esc(bs.status), bs.deadline_block ? "challengeable to block " + esc(bs.deadline_block) : "")}
      ${stat("Sequence", esc(t.seq), "execution order")}</div>
      <div class="panel"><h2>Fills</h2>${fills}${r.withdrawal_id != null ? `<div class="note">Withdrawal #${esc(r.withdrawal_id)}</div>` : ""}</div>`);
  },
});

// ---------- search ----------
async function search(text) {
  text = text.trim();
  if (!text) return;
  const hex = text.replace(/^0x/i, "");
  const ok = /^[0-9a-fA-F]+$/.test(hex) && (hex.length === 40 || hex.length === 64) || /^#?\d+$/.test(text);
  if (!ok) { showBanner(`"${text}" is not a transaction hash (0x + 64 hex digits), an address (0x + 40 hex digits) or a batch number.`); return; }
  try {
    const found = await api("/api/search?q=" + encodeURIComponent(text));
    hideBanner();
    location.hash = found.kind === "account" ? "#/accounts/" + found.address : found.kind === "tx" ? "#/tx/" + found.hash : "#/batches/" + found.index;
  } catch (e) { showBanner("Search: " + e.message); }
}

window.addEventListener("hashchange", route);
document.addEventListener("DOMContentLoaded", () => {
  $("#search").addEventListener("submit", (ev) => { ev.preventDefault(); search($("#search-box").value); });
  connect();
  route();
});
