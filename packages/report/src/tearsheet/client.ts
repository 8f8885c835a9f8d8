/**
 * The tear sheet's own script (plain ES2017, no framework), inlined after
 * vega, vega-lite and vega-embed. It embeds every `.chart` from the specs in
 * `#tearsheet-specs`, switches the equity chart between log and linear
 * (`#log-toggle`), sorts and filters the leaderboard and shows the clicked
 * candidate's chart from `#tearsheet-candidates`. When every chart has been
 * embedded it sets `data-charts="ready"` (or `"error"`) on <body>.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var specs = JSON.parse(document.getElementById('tearsheet-specs').textContent);
  var cand = JSON.parse(document.getElementById('tearsheet-candidates').textContent);
  var options = {
    renderer: 'svg',
    actions: { export: true, source: false, compiled: false, editor: false },
  };
  var views = {};

  function clone(x) {
    return JSON.parse(JSON.stringify(x));
  }

  function embed(name, spec) {
    var el = document.querySelector('.chart[data-chart="' + name + '"]');
    if (!el || !spec) return Promise.resolve(true);
    if (views[name]) {
      views[name].finalize();
      delete views[name];
    }
    el.innerHTML = '';
    el.setAttribute('data-state', 'rendering');
    return vegaEmbed(el, spec, options).then(
      function (result) {
        views[name] = result.view;
        el.setAttribute('data-state', 'rendered');
        return true;
      },
      function (error) {
        el.setAttribute('data-state', 'error');
        el.textContent = 'This chart could not be drawn: ' + (error && error.message ? error.message : error);
        console.error(error);
        return false;
      },
    );
  }

  // Log / linear equity axis: re-embed the equity chart with the other y scale type.
  function setScaleType(node, type) {
    if (Array.isArray(node)) {
      for (var i = 0; i < node.length; i++) setScaleType(node[i], type);
    } else if (node && typeof node === 'object') {
      if (node.field === 'equity' && node.scale && typeof node.scale === 'object') {
        node.scale.type = type;
        if (type === 'log') delete node.scale.zero;
        else node.scale.zero = false;
      }
      for (var k in node) if (k !== 'data') setScaleType(node[k], type);
    }
  }
  var toggle = document.getElementById('log-toggle');
  function equitySpec() {
    var spec = clone(specs.equity);
    setScaleType(spec, toggle && !toggle.checked ? 'linear' : 'log');
    return spec;
  }
  if (toggle)
    toggle.addEventListener('change', function () {
      var chart = document.querySelector('.chart[data-chart="equity"]');
      if (chart) chart.setAttribute('data-scale', toggle.checked ? 'log' : 'linear');
      embed('equity', equitySpec());
    });

  // One candidate's chart: its equity against the selected candidate's, and its weights.
  var current = null;
  function candidateSpec(name) {
    var p = cand.paths[name];
    if (!p || !specs.candidate) return null;
    var sel = cand.paths[cand.selected];
    var selLabel = cand.selected + ' (selected)';
    var spec = clone(specs.candidate);
    var equity = [];
    var weights = [];
    for (var i = 0; i < cand.months.length; i++) {
      var month = cand.months[i] + 'T00:00:00Z';
      equity.push({ month: month, series: name, role: 'candidate', equity: p.equity[i] });
      if (sel && name !== cand.selected)
        equity.push({ month: month, series: selLabel, role: 'selected', equity: sel.equity[i] });
      for (var k = 0; k < cand.sleeves.length; k++)
        weights.push({ month: month, series: cand.sleeves[k], k: k, weight: p.weights[k][i], gross: p.grossLeverage[i] });
    }
    spec.datasets.candidate_equity = equity;
    spec.datasets.candidate_weights = weights;
    var colour = spec.vconcat[0].layer[0].encoding.color.scale;
    colour.domain = name === cand.selected ? [name] : [name, selLabel];
    if (name === cand.selected) colour.range = [colour.range[1]];
    return spec;
  }
  function showCandidate(name) {
    var spec = candidateSpec(name);
    if (!spec) return Promise.resolve(false);
    current = name;
    var title = document.getElementById('candidate-title');
    if (title) title.textContent = name + (name === cand.selected ? ' (the selected candidate)' : '');
    var chart = document.querySelector('.chart[data-chart="candidate"]');
    if (chart) chart.setAttribute('data-candidate', name);
    var rows = document.querySelectorAll('#leaderboard tbody tr');
    for (var i = 0; i < rows.length; i++)
      rows[i].classList.toggle('current', rows[i].getAttribute('data-candidate') === name);
    return embed('candidate', spec);
  }

  // Leaderboard: sort by a header, filter by family, gate and objective, click a row for its chart.
  var table = document.getElementById('leaderboard');
  if (table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    var cellValue = function (row, col) {
      var cell = row.cells[col];
      var v = cell.getAttribute('data-value');
      return v === null ? cell.textContent : v;
    };
    var sortBy = function (col) {
      var th = heads[col];
      var numeric = th.getAttribute('data-type') === 'number';
      var was = th.getAttribute('aria-sort');
      var dir = was === 'ascending' ? 'descending' : was === 'descending' ? 'ascending' : numeric ? 'descending' : 'ascending';
      for (var h = 0; h < heads.length; h++) heads[h].removeAttribute('aria-sort');
      th.setAttribute('aria-sort', dir);
      var sign = dir === 'ascending' ? 1 : -1;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = cellValue(a, col);
        var y = cellValue(b, col);
        if (numeric) {
          var nx = x === '' ? NaN : Number(x);
          var ny = y === '' ? NaN : Number(y);
          if (isNaN(nx) || isNaN(ny)) return isNaN(nx) === isNaN(ny) ? 0 : isNaN(nx) ? 1 : -1;
          return sign * (nx - ny);
        }
        return sign * x.localeCompare(y);
      });
      for (var r = 0; r < rows.length; r++) body.appendChild(rows[r]);
    };
    for (var c = 0; c < heads.length; c++)
      (function (col) {
        if (!heads[col].hasAttribute('data-type')) return;
        var button = heads[col].querySelector('button');
        (button || heads[col]).addEventListener('click', function () {
          sortBy(col);
        });
      })(c);

    var family = document.getElementById('family-filter');
    var gate = document.getElementById('gate-filter');
    var objective = document.getElementById('objective-filter');
    var count = document.getElementById('leaderboard-count');
    var applyFilters = function () {
      var shown = 0;
      for (var i = 0; i < body.rows.length; i++) {
        var row = body.rows[i];
        var ok =
          (!family || family.value === 'all' || row.getAttribute('data-family') === family.value) &&
          (!gate || gate.value === 'all' || row.getAttribute('data-gate') === gate.value) &&
          (!objective || objective.value === 'all' || row.getAttribute('data-objective') === objective.value);
        row.hidden = !ok;
        if (ok) shown++;
      }
      if (count) count.textContent = shown + ' of ' + body.rows.length + ' rows shown';
    };
    [family, gate, objective].forEach(function (s) {
      if (s) s.addEventListener('change', applyFilters);
    });
    applyFilters();

    body.addEventListener('click', function (e) {
      var row = e.target.closest('tr');
      if (!row || !row.getAttribute('data-candidate')) return;
      if (e.target.closest('a')) e.preventDefault();
      showCandidate(row.getAttribute('data-candidate')).then(function () {
        var chart = document.getElementById('candidate-view');
        if (chart && e.target.closest('a')) chart.scrollIntoView({ block: 'nearest' });
      });
    });
  }

  var jobs = [];
  var names = Object.keys(specs);
  for (var i = 0; i < names.length; i++) {
    if (names[i] === 'candidate') continue;
    jobs.push(embed(names[i], names[i] === 'equity' ? equitySpec() : specs[names[i]]));
  }
  if (specs.candidate) jobs.push(showCandidate(cand.selected in cand.paths ? cand.selected : Object.keys(cand.paths)[0]));
  Promise.all(jobs).then(function (results) {
    document.body.setAttribute('data-charts', results.every(Boolean) ? 'ready' : 'error');
  });
})();
`;
