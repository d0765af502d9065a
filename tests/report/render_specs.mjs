// node render_specs.mjs SAMPLE_WRITER NODE_MODULES TMP_DIR
// Writes the sample store's report with every chart's Vega-Lite spec (hwnas_report_sample),
// then compiles each spec with vega-lite and renders it to SVG with vega's View (renderer
// 'none'), loading the same minified builds the page inlines, and checks the SVG's marks.
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const [writer, modules, tmp] = process.argv.slice(2);
fs.rmSync(tmp, {recursive: true, force: true});
fs.mkdirSync(tmp, {recursive: true});
const specsDir = path.join(tmp, 'specs');
execFileSync(writer, [path.join(tmp, 'sample.db'), specsDir, path.join(tmp, 'report.html')],
             {stdio: 'inherit'});
for (const file of ['vega/build/vega.min.js', 'vega-lite/build/vega-lite.min.js'])
  vm.runInThisContext(fs.readFileSync(path.join(modules, file), 'utf8'));
const {vega, vegaLite} = globalThis;

const count = (svg, mark) => (svg.match(new RegExp(`class="mark-${mark} role-mark`, 'g')) || []).length;
const items = (svg, mark) => {
  const at = svg.indexOf(`class="mark-${mark} role-mark`);
  if (at < 0) return 0;
  const group = svg.slice(at, svg.indexOf('</g>', at));
  return (group.match(/<path|<rect|<text|<line/g) || []).length;
};

// Bars of every facet (the bits chart has a row per quantity).
const svgRects = svg => svg.split('class="mark-rect role-mark').slice(1)
    .map(part => (part.slice(0, part.indexOf('</g>')).match(/<path/g) || []).length)
    .reduce((a, b) => a + b, 0);

// Per chart (by the end of its name): the marks its SVG must hold, and extra checks.
const expected = {
  'pareto': (svg, spec) => count(svg, 'symbol') === 1 && count(svg, 'line') === 1 &&
      items(svg, 'symbol') === spec.data.values.length,
  'training': svg => count(svg, 'line') >= 1 && count(svg, 'symbol') >= 1,
  'probabilities': (svg, spec) => items(svg, 'rect') === spec.data.values.length,
  // A line per series (expected, derived) and the target's rule.
  'expected-cost': svg => count(svg, 'line') === 2 && count(svg, 'rule') === 1,
  'rewards': (svg, spec) => items(svg, 'symbol') === spec.data.values.length &&
      count(svg, 'line') === 1,
  'policy': (svg, spec) => svgRects(svg) === spec.data.values.length,
  'layer-latency': (svg, spec) => items(svg, 'rect') === spec.data.values.length,
  // y = x: the line runs from the bottom-left corner (0, height) to the top-right (width, 0).
  'validation': (svg, spec) => items(svg, 'symbol') === spec.data.values.length &&
      /<path[^>]*d="M0,280L520,0"/.test(svg),
  'stages': (svg, spec) => items(svg, 'text') === spec.data.values.length &&
      svg.includes('91.50%') && svg.includes('12.5'),
};

const files = fs.readdirSync(specsDir).filter(f => f.endsWith('.vl.json')).sort();
const seen = new Set();
let failed = 0;
for (const file of files) {
  const name = file.replace(/\.vl\.json$/, '');
  const kind = Object.keys(expected).find(k => name.endsWith(k));
  const spec = JSON.parse(fs.readFileSync(path.join(specsDir, file), 'utf8'));
  const warnings = [];
  const logger = vega.logger(vega.Warn);
  logger.warn = (...args) => warnings.push(args.join(' '));
  let svg = '';
  try {
    const view = new vega.View(vega.parse(vegaLite.compile(spec, {logger}).spec), {renderer: 'none'});
    view.logger(logger);
    svg = await view.toSVG();
  } catch (error) {
    warnings.push(String(error));
  }
  const ok = kind !== undefined && warnings.length === 0 && svg.startsWith('<svg') && expected[kind](svg, spec);
  if (kind) seen.add(kind);
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name} (${svg.length} bytes of SVG)` +
              (warnings.length ? `: ${warnings.join('; ')}` : ''));
  if (!ok) {
    failed++;
    fs.writeFileSync(path.join(tmp, name + '.svg'), svg);
  }
}
const missing = Object.keys(expected).filter(k => !seen.has(k));
if (missing.length) console.log(`FAIL no spec written for: ${missing.join(', ')}`);
if (failed || missing.length) process.exit(1);
console.log(`${files.length} charts rendered to SVG with the expected marks`);
