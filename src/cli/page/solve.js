/* The page of tabrl solve --format html (embedded by src/cli/page/embed.c):
 * draws the steps inlined by src/cli/solve_html.c.  No framework and no
 * network; ASCII only (\u escapes for arrows and symbols). */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var app = document.getElementById('app');
  var N = D.shown, A = D.A, H = D.stages;
  var pos = 0, stage = 0, selected = -1;
  var ARROWS = { '<': '\u2190', '>': '\u2192', '^': '\u2191', 'v': '\u2193' };
  var CELL = {
    '#': ['wall', 'wall (no state)'], 'S': ['start', 'start'], 'G': ['goal', 'goal (episode ends)'],
    'H': ['hole', 'hole (episode ends, reward 0)'], 'X': ['trap', 'trap (episode ends)'],
    'C': ['cliff', 'cliff (back to the start)'], 'R': ['risky', 'risky cell']
  };
  var FREE = '.FSoR';

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function num(x, digits) {
    if (x === null || x === undefined) return '';
    var t = Number(x.toPrecision(digits || 4));
    return String(t);
  }
  /* A grid cell's number: round-off residue such as -3e-15 stays visible
   * but short enough for the cell. */
  function cellNum(x) {
    return x !== null && x !== 0 && Math.abs(x) < 1e-4 ? num(x, 2) : num(x, 4);
  }
  function glyph(a) {
    if (a < 0) return '';
    if (D.grid && D.grid.glyphs) return ARROWS[D.grid.glyphs[a]] || D.grid.glyphs[a];
    return String(a);
  }
  function actionName(a) {
    return D.grid && D.grid.glyphs ? a + ' ' + glyph(a) : String(a);
  }

  /* The step shown: series index, data arrays, and for backward induction
   * whether stage h is computed yet. */
  function current() {
    var v = D.view[pos];
    return { i: v[0], d: D.data[v[1]], s: D.series[v[0]] };
  }
  function computed(h) {
    if (D.method !== 'backward') return true;
    return h >= D.horizon - current().s[1];
  }
  function value(h, s) {
    return computed(h) ? current().d.V[h * N + s] : null;
  }
  function action(h, s) {
    return computed(h) ? current().d.a[h * N + s] : -1;
  }
  function qvalue(h, s, a) {
    return computed(h) ? current().d.Q[(h * N + s) * A + a] : null;
  }

  function caption() {
    var s = current().s, k = s[0], it = s[1], c = s[3];
    var sw = function (n) { return n + ' state' + (n === 1 ? '' : 's'); };
    if (k === 'start') {
      if (D.method === 'vi') return 'start: V_0 = 0 (arrows: greedy for V_0, ties to the lowest action)';
      return 'start';
    }
    if (k === 'sweep')
      return 'sweep ' + it + ': V_' + it + ' = T V_' + (it - 1) + '   (||V_' + it + ' - V_' +
        (it - 1) + '|| = ' + num(s[2], 4) + ', ' + c + ' arrow' + (c === 1 ? '' : 's') + ' changed)';
    if (k === 'evaluate')
      return 'policy evaluation ' + it + ': V^pi_' + it + ' exactly (the linear system V = r_pi + ' +
        (D.horizon ? '' : 'gamma ') + 'P_pi V solved)';
    if (k === 'improve')
      return 'improvement ' + it + ': ' + sw(c) + ' switched' +
        (c === 0 ? ' -- pi_' + it + ' is greedy for its own values: optimal, stop' : '');
    if (it === 0) return 'start: V_H = 0, no stage computed yet (H = ' + D.horizon + ')';
    return 'stage h = ' + (D.horizon - it) + ' computed: V_h(s) = max_a [ r(s,a) + sum_s\' ' +
      'P(s\'|s,a) V_h+1(s\') ]';
  }

  function header() {
    app.appendChild(el('h1', {}, 'tabrl solve ' + D.env + ' --method ' + D.method));
    if (D.doc) app.appendChild(el('p', { 'class': 'doc' }, D.doc));
    var p = el('p', { 'class': 'small' });
    p.textContent = D.S + ' states, ' + A + ' actions, ' +
      (D.horizon ? 'episodic, horizon H = ' + D.horizon : 'discounted, gamma = ' + D.gamma) + '. ' +
      (D.maxOutcomes <= 1 ? 'Deterministic transitions.' :
        'Stochastic transitions: up to ' + D.maxOutcomes + ' next states per (state, action); ' +
        'the parameters below give the probabilities (e.g. slips).');
    app.appendChild(p);
    if (D.params.length) {
      var t = el('table', { 'class': 'params' }), tr = el('tr');
      ['parameter', 'value', 'meaning'].forEach(function (x) { tr.appendChild(el('th', {}, x)); });
      t.appendChild(tr);
      D.params.forEach(function (q) {
        var r = el('tr');
        r.appendChild(el('td', {}, q[0]));
        r.appendChild(el('td', { 'class': 'v' }, q[1]));
        r.appendChild(el('td', {}, q[2]));
        t.appendChild(r);
      });
      app.appendChild(t);
    }
    var rule = el('div', { 'class': 'rule' });
    if (D.method === 'vi')
      rule.textContent = 'Value iteration: V_0 = 0 and V_k = T V_k-1, where (T V)(s) = max_a [ r(s,a) + ' +
        'gamma sum_s\' P(s\'|s,a) V(s\') ]. T is a gamma-contraction in the sup norm, so V_k -> V*. ' +
        'Stopping rule: stop at the first k with ||V_k - V_k-1|| < eps (1 - gamma) / (2 gamma); ' +
        'then the greedy policy is eps-optimal (|V_k - V*| < eps/2). Here gamma = ' + D.gamma +
        ', eps = ' + D.eps + ', threshold = ' + num(D.threshold, 6) + ': stopped after ' +
        D.iterations + ' sweeps.';
    else if (D.method === 'pi')
      rule.textContent = 'Policy iteration: evaluate the policy pi_k exactly (V^pi_k solves V = r_pi + ' +
        (D.horizon ? '' : 'gamma ') + 'P_pi V' + (D.sparsePI ? ', iteratively to 1e-12 / (1 - gamma)' :
          ', by an LU solve') + '), then improve: pi_k+1(s) = argmax_a Q^pi_k(s,a) (lowest action on ties). ' +
        'Stopping rule: stop when the improvement switches no state; that policy is optimal. ' +
        (D.horizon ? 'Horizon H = ' + D.horizon : 'gamma = ' + D.gamma) + ': ' + D.iterations +
        ' iterations.';
    else
      rule.textContent = 'Backward induction: V_H = 0, then for h = H-1 down to 0, V_h(s) = max_a [ ' +
        'r(s,a) + sum_s\' P(s\'|s,a) V_h+1(s\') ] and pi_h(s) is the argmax (lowest action on ties). ' +
        'Exact after H = ' + D.horizon + ' steps; no stopping rule is needed. ' +
        'Stages not computed yet are blank.';
    app.appendChild(rule);
    if (D.note) app.appendChild(el('div', { 'class': 'note' }, D.note));
  }

  var slider, capt, stageSel, board, qbox, plotBox, legendBox;

  function controls() {
    var c = el('div', { 'class': 'controls' });
    var mk = function (label, title, f) {
      var b = el('button', { type: 'button', title: title }, label);
      b.addEventListener('click', function () { f(); follow(); update(); });
      c.appendChild(b);
    };
    mk('|\u25c0', 'first step', function () { pos = 0; });
    mk('\u25c0', 'previous step', function () { pos = Math.max(0, pos - 1); });
    mk('\u25b6', 'next step', function () { pos = Math.min(D.view.length - 1, pos + 1); });
    mk('\u25b6|', 'last step', function () { pos = D.view.length - 1; });
    slider = el('input', { type: 'range', min: 0, max: D.view.length - 1, value: 0, 'aria-label': 'step' });
    slider.addEventListener('input', function () { pos = Number(slider.value); follow(); update(); });
    c.appendChild(slider);
    c.appendChild(el('span', { id: 'stepno', 'class': 'small' }));
    if (H > 1) {
      c.appendChild(el('span', {}, ' stage h ='));
      stageSel = el('select', { 'aria-label': 'stage' });
      for (var h = 0; h < H; h++) stageSel.appendChild(el('option', { value: h }, String(h)));
      stageSel.addEventListener('change', function () { stage = Number(stageSel.value); update(); });
      c.appendChild(stageSel);
    }
    app.appendChild(c);
    capt = el('div', { 'class': 'caption', id: 'caption' });
    app.appendChild(capt);
    document.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowRight') pos = Math.min(D.view.length - 1, pos + 1);
      else if (e.key === 'ArrowLeft') pos = Math.max(0, pos - 1);
      else return;
      follow();
      update();
    });
  }

  /* White at 0, blue for positive and red for negative values, scaled by
   * the largest |V| shown. */
  function colour(v, big) {
    if (v === null) return ['#ffffff', '#000'];
    var t = Math.min(1, Math.abs(v) / (big || 1));
    var c = v >= 0 ? [33, 102, 172] : [178, 24, 43];
    var mix = c.map(function (x) { return Math.round(255 + (x - 255) * t); });
    return ['rgb(' + mix.join(',') + ')', t > 0.55 ? '#fff' : '#000'];
  }

  function stats() {
    var big = 0, lo = Infinity, hi = -Infinity;
    for (var s = 0; s < N; s++) {
      var v = value(stage, s);
      if (v === null) continue;
      big = Math.max(big, Math.abs(v));
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return { big: big, lo: lo, hi: hi };
  }

  function drawGrid() {
    var g = D.grid, st = stats(), size = Math.max(42, Math.min(64, Math.floor(560 / g.cols)));
    var t = el('table', { 'class': 'grid' });
    for (var r = 0; r < g.rows; r++) {
      var tr = el('tr');
      for (var c = 0; c < g.cols; c++) {
        var i = r * g.cols + c, s = g.state[i], ch = g.cells[i];
        var td = el('td', { style: 'width:' + size + 'px;height:' + size + 'px' });
        if (s < 0) {
          td.className = 'wall';
          td.title = 'wall';
          tr.appendChild(td);
          continue;
        }
        var v = value(stage, s), col = colour(v, st.big);
        td.className = (CELL[ch] ? CELL[ch][0] : '') + (s === selected ? ' sel' : '');
        td.style.background = col[0];
        td.style.color = col[1];
        td.title = 'state ' + s + ' (row ' + r + ', column ' + c + '): click for Q';
        if (CELL[ch]) td.appendChild(el('span', { 'class': 'tag' }, ch));
        var a = action(stage, s);
        td.appendChild(el('span', { 'class': 'arrow' }, FREE.indexOf(ch) >= 0 ? glyph(a) : '\u00a0'));
        var val = el('span', { 'class': 'val', 'data-state': s, 'data-stage': stage }, cellNum(v));
        if (v !== null) val.setAttribute('data-value', String(v));
        td.appendChild(val);
        td.addEventListener('click', select.bind(null, s));
        tr.appendChild(td);
      }
      t.appendChild(tr);
    }
    return t;
  }

  function drawTable() {
    var st = stats(), t = el('table', { 'class': 'vtab' }), tr = el('tr');
    ['state', 'V(s)', 'greedy action'].forEach(function (x) { tr.appendChild(el('th', {}, x)); });
    t.appendChild(tr);
    for (var s = 0; s < N; s++) {
      var v = value(stage, s), col = colour(v, st.big), r = el('tr', s === selected ? { 'class': 'sel' } : {});
      r.appendChild(el('td', {}, String(s)));
      var td = el('td', { 'data-state': s, 'data-stage': stage }, num(v, 10));
      if (v !== null) td.setAttribute('data-value', String(v));
      td.style.background = col[0];
      td.style.color = col[1];
      r.appendChild(td);
      var a = action(stage, s);
      r.appendChild(el('td', {}, a < 0 ? '' : actionName(a)));
      r.addEventListener('click', select.bind(null, s));
      t.appendChild(r);
    }
    return t;
  }

  function legend() {
    var st = stats(), box = el('div', { 'class': 'legend' });
    if (st.big > 0) {
      var lo = Math.min(0, st.lo), hi = Math.max(0, st.hi);
      var bar = el('span', { 'class': 'bar' });
      bar.style.background = 'linear-gradient(to right,' + colour(lo, st.big)[0] + ',' +
        colour(0, st.big)[0] + ',' + colour(hi, st.big)[0] + ')';
      box.appendChild(el('span', {}, 'V: ' + num(lo, 4)));
      box.appendChild(bar);
      box.appendChild(el('span', {}, num(hi, 4) + ' (white = 0)'));
    }
    if (D.grid) {
      var seen = {};
      for (var i = 0; i < D.grid.cells.length; i++) seen[D.grid.cells[i]] = 1;
      Object.keys(CELL).forEach(function (ch) {
        if (!seen[ch]) return;
        var item = el('span'), sw = el('span', { 'class': 'sw' });
        if (ch === '#') sw.style.background = '#3a3a3a';
        else sw.style.boxShadow = 'inset 0 0 0 3px ' +
          ({ S: '#1c7ed6', G: '#2b8a3e', R: '#c2255c' }[ch] || '#111');
        item.appendChild(sw);
        item.appendChild(document.createTextNode((ch === '#' ? '' : ch + ': ') + CELL[ch][1]));
        box.appendChild(item);
      });
      box.appendChild(el('span', {}, 'arrow: greedy action argmax_a Q(s,a) at this step (ties go to the ' +
        'lowest action, ' + glyph(0) + ', so a state whose Q values are all equal shows ' + glyph(0) + ')'));
    }
    return box;
  }

  function select(s) {
    selected = s;
    update();
  }

  /* How Q(s, a) is made from this step's values: the outcomes of (s, a)
   * with their probabilities, rewards and next values. */
  function outcomes(h, s, a) {
    var hs = D.P.stages === 1 ? 0 : h, row = D.P.rows[(hs * D.S + s) * A + a], g = D.horizon ? 1 : D.gamma;
    var parts = [], total = 0;
    row.forEach(function (o, j) {
      var next = D.horizon ? (h + 1 < H ? value(h + 1, o[0]) : 0) : value(0, o[0]);
      if (next === null) next = 0;
      total += o[1] * (o[2] + g * next);
      if (j < 6)
        parts.push(num(o[1], 4) + ' [' + num(o[2], 4) + ' + ' + (D.horizon ? '' : num(g, 4) + ' x ') +
          num(next, 4) + '] (s\' = ' + o[0] + ')');
    });
    if (row.length > 6) parts.push('... (' + row.length + ' next states)');
    return { text: parts.join(' + ') + ' = ' + num(total, 8), total: total };
  }

  function drawQ() {
    qbox.textContent = '';
    qbox.appendChild(el('h2', {}, 'Q values'));
    if (selected < 0) {
      qbox.appendChild(el('p', { 'class': 'small' }, 'Click a state to see its Q(s, a) at this step.'));
      return;
    }
    var k = current().s[0];
    var next = D.horizon ? 'V_h+1(s\') (V_H = 0)' : 'V(s\')';
    var what = k === 'evaluate' || k === 'improve' ? 'Q^pi(s,a) = r(s,a) + ' + (D.horizon ? '' : 'gamma ') +
      'sum_s\' P(s\'|s,a) ' + next.replace('V', 'V^pi') + ' of the policy just evaluated' :
      'Q(s,a) = r(s,a) + ' + (D.horizon ? '' : 'gamma ') + 'sum_s\' P(s\'|s,a) ' + next +
      ', one step ahead of this step\'s values';
    what += '; \u2605 marks the greedy action (lowest action on ties)';
    qbox.appendChild(el('p', { 'class': 'small' }, 'state ' + selected + (H > 1 ? ', stage ' + stage : '') + ': ' + what));
    if (!computed(stage)) {
      qbox.appendChild(el('p', {}, 'stage ' + stage + ' not computed yet at this step'));
      return;
    }
    var t = el('table', { 'class': 'q' }), tr = el('tr'), best = action(stage, selected);
    ['action', 'Q(s, a)', ''].forEach(function (x) { tr.appendChild(el('th', {}, x)); });
    t.appendChild(tr);
    if (D.P) tr.appendChild(el('th', {}, 'sum over next states s\': P(s\'|s,a) [ r + ' +
      (D.horizon ? '' : 'gamma ') + 'V' + (D.horizon ? '_h+1' : '') + '(s\') ]'));
    for (var a = 0; a < A; a++) {
      var q = qvalue(stage, selected, a), r = el('tr', a === best ? { 'class': 'max' } : {});
      r.appendChild(el('td', {}, actionName(a)));
      var qc = el('td', { 'data-q': a }, q === null ? 'not available' : num(q, 8));
      if (q !== null) qc.setAttribute('data-qvalue', String(q));
      r.appendChild(qc);
      r.appendChild(el('td', {}, a === best ? '\u2605 ' + (k === 'evaluate' ? 'pi\'s action' : 'max') : ''));
      if (D.P && q !== null) {
        var o = outcomes(stage, selected, a), sc = el('td', { 'class': 'sum' }, o.text);
        sc.setAttribute('data-sum', String(o.total));
        r.appendChild(sc);
      } else if (D.P) r.appendChild(el('td'));
      t.appendChild(r);
    }
    qbox.appendChild(t);
  }

  /* Residual per step (log y) with the stopping threshold, and the policy
   * changes per step as bars on their own axis. */
  function drawPlot() {
    plotBox.textContent = '';
    plotBox.appendChild(el('h2', {}, 'Bellman residual and policy changes'));
    var pts = [], n = D.series.length, maxc = 0;
    D.series.forEach(function (s, i) {
      if (s[2] !== null && s[2] > 0) pts.push([i, s[2]]);
      if (s[3] > maxc) maxc = s[3];
    });
    if (!pts.length) {
      plotBox.appendChild(el('p', { 'class': 'small' }, D.method === 'backward' ?
        'Backward induction computes each stage once, exactly: there is no residual to plot.' :
        'No residual to plot.'));
      return;
    }
    var W = 440, Hh = 210, L = 52, R = 40, T = 10, B = 34;
    var lo = Infinity, hi = -Infinity;
    pts.forEach(function (p) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); });
    if (D.threshold !== null) { lo = Math.min(lo, D.threshold); hi = Math.max(hi, D.threshold); }
    var ylo = Math.floor(Math.log10(lo)), yhi = Math.ceil(Math.log10(hi));
    if (yhi === ylo) yhi++;
    var X = function (i) { return L + (W - L - R) * (n > 1 ? i / (n - 1) : 0.5); };
    var Y = function (v) { return T + (Hh - T - B) * (yhi - Math.log10(v)) / (yhi - ylo); };
    var C = function (c) { return Hh - B - (Hh - T - B) * c / (maxc || 1); };
    var g = svg('svg', { width: W, height: Hh, viewBox: '0 0 ' + W + ' ' + Hh, role: 'img' });
    g.appendChild(svg('rect', { x: L, y: T, width: W - L - R, height: Hh - T - B, fill: '#fafafa', stroke: '#999' }));
    var step = Math.max(1, Math.ceil((yhi - ylo) / 6));
    for (var e = ylo; e <= yhi; e += step) {
      g.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(Math.pow(10, e)), y2: Y(Math.pow(10, e)), stroke: '#e3e3e3' }));
      g.appendChild(svg('text', { x: L - 4, y: Y(Math.pow(10, e)) + 4, 'text-anchor': 'end' }, '1e' + e));
    }
    D.series.forEach(function (s, i) {
      if (s[3] > 0)
        g.appendChild(svg('rect', { x: X(i) - 1.5, y: C(s[3]), width: 3, height: Hh - B - C(s[3]), fill: '#f08c00', opacity: 0.7 }));
    });
    if (maxc > 0) {
      g.appendChild(svg('text', { x: W - R + 4, y: C(maxc) + 4 }, String(maxc)));
      g.appendChild(svg('text', { x: W - R + 4, y: Hh - B + 4 }, '0'));
    }
    if (D.threshold !== null) {
      g.appendChild(svg('line', { x1: L, x2: W - R, y1: Y(D.threshold), y2: Y(D.threshold), stroke: '#c92a2a', 'stroke-dasharray': '5,3' }));
    }
    var d = pts.map(function (p, j) { return (j ? 'L' : 'M') + X(p[0]).toFixed(1) + ',' + Y(p[1]).toFixed(1); }).join('');
    g.appendChild(svg('path', { d: d, fill: 'none', stroke: '#1c5fa8', 'stroke-width': 1.8 }));
    if (pts.length < 60)
      pts.forEach(function (p) { g.appendChild(svg('circle', { cx: X(p[0]), cy: Y(p[1]), r: 2.5, fill: '#1c5fa8' })); });
    var cx = X(current().i);
    g.appendChild(svg('line', { x1: cx, x2: cx, y1: T, y2: Hh - B, stroke: '#e8590c', 'stroke-width': 1.5 }));
    g.appendChild(svg('text', { x: L, y: Hh - B + 14, 'text-anchor': 'middle' }, '0'));
    g.appendChild(svg('text', { x: W - R, y: Hh - B + 14, 'text-anchor': 'middle' }, String(n - 1)));
    g.appendChild(svg('text', { x: (L + W - R) / 2, y: Hh - 4, 'text-anchor': 'middle' }, 'step'));
    plotBox.appendChild(g);
    var key = el('div', { 'class': 'legend' });
    [['#1c5fa8', 'residual ||V_k - V_k-1|| (log scale, left)'], ['#f08c00', 'policy changes (right)']]
      .concat(D.threshold !== null ? [['#c92a2a', 'stopping threshold ' + num(D.threshold, 4)]] : [])
      .concat([['#e8590c', 'current step']])
      .forEach(function (x) {
        var it = el('span'), sw = el('span', { 'class': 'sw' });
        sw.style.background = x[0];
        it.appendChild(sw);
        it.appendChild(document.createTextNode(x[1]));
        key.appendChild(it);
      });
    plotBox.appendChild(key);
  }

  /* Backward induction: the stage shown follows the stage just computed. */
  function follow() {
    if (D.method !== 'backward') return;
    var it = current().s[1];
    stage = it > 0 ? D.horizon - it : H - 1;
    if (stageSel) stageSel.value = stage;
  }

  /* Episodic models: V_h(s) of every stage at this step (blank: not
   * computed yet), the stage shown highlighted. */
  function drawStages() {
    /* Its own scroll box: 40 stage columns are wider than the grid's
     * column, and must not run under the Q values beside it. */
    var box = el('div', { 'class': 'stagebox' });
    if (H <= 1 || H > 40 || N > 60) return box;
    box.appendChild(el('h2', {}, 'V_h(s) at every stage h (rows: states)'));
    var t = el('table', { 'class': 'vtab stages' }), tr = el('tr');
    tr.appendChild(el('th', {}, 's \\ h'));
    for (var h = 0; h < H; h++) tr.appendChild(el('th', h === stage ? { 'class': 'cur' } : {}, String(h)));
    t.appendChild(tr);
    for (var s = 0; s < N; s++) {
      var r = el('tr');
      r.appendChild(el('th', {}, String(s)));
      for (h = 0; h < H; h++) r.appendChild(el('td', h === stage ? { 'class': 'cur' } : {}, num(value(h, s), 3)));
      t.appendChild(r);
    }
    box.appendChild(t);
    return box;
  }

  function update() {
    slider.value = pos;
    document.getElementById('stepno').textContent = 'step ' + current().i + ' of ' + (D.series.length - 1);
    capt.textContent = caption();
    board.textContent = '';
    board.appendChild(D.grid ? drawGrid() : drawTable());
    legendBox.textContent = '';
    legendBox.appendChild(legend());
    legendBox.appendChild(drawStages());
    drawQ();
    drawPlot();
  }

  function fromHash() {
    var h = (location.hash || '').replace(/^#/, '').split('&'), given = false;
    h.forEach(function (kv) {
      var p = kv.split('=');
      if (p[0] === 'step') {
        if (p[1] === 'last') pos = D.view.length - 1;
        else if (p[1] === 'first') pos = 0;
        else {
          var want = Number(p[1]);
          pos = 0;
          for (var j = 0; j < D.view.length; j++) if (D.view[j][0] <= want) pos = j;
        }
      } else if (p[0] === 'state') {
        var q = Number(p[1]);
        if (q >= 0 && q < N) selected = q;
      } else if (p[0] === 'stage' && H > 1) {
        given = true;
        stage = Math.max(0, Math.min(H - 1, Number(p[1]) || 0));
        if (stageSel) stageSel.value = stage;
      }
    });
    if (!given) follow();
  }

  header();
  controls();
  var main = el('div', { 'class': 'main' }), left = el('div', { 'class': 'left' }), side = el('div', { 'class': 'side' });
  board = el('div', { id: 'board' });
  legendBox = el('div');
  left.appendChild(board);
  left.appendChild(legendBox);
  qbox = el('div', { id: 'q' });
  plotBox = el('div', { id: 'plot' });
  side.appendChild(plotBox);
  side.appendChild(qbox);
  main.appendChild(left);
  main.appendChild(side);
  app.appendChild(main);
  fromHash();
  window.addEventListener('hashchange', function () { fromHash(); update(); });
  update();
})();
