// Loads a dbadvise HTML report in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core) and checks the rendered page, not the file's text:
//  - the sections a reader needs are there (heading, counts, and the ones named on the
//    command line: actions, charts, findings, statements, a group id, ...);
//  - the charts are SVG drawn in the page, with bars;
//  - the findings table has as many rows as the JSON report has findings (--findings N);
//  - clicking a sortable header sorts the table, both ways;
//  - the page made no network request (only the file itself was loaded), its
//    Content-Security-Policy blocks one when the page tries (a fetch from the page fails with
//    a CSP violation), and it runs no script but its own;
//  - text from the database stays text: no element a query text could have injected.
// Optionally writes a screenshot of the whole page (--screenshot FILE).
//   node check_html.js --tools DIR --page FILE [--findings N] [--section ID]... [--screenshot PNG]
'use strict';

const path = require('path');

function parse(argv) {
    const options = { sections: [], findings: null, screenshot: null, tools: null, page: null };
    for (let i = 2; i < argv.length; i += 2) {
        const value = argv[i + 1];
        switch (argv[i]) {
        case '--tools': options.tools = value; break;
        case '--page': options.page = value; break;
        case '--findings': options.findings = Number(value); break;
        case '--section': options.sections.push(value); break;
        case '--screenshot': options.screenshot = value; break;
        default: throw new Error(`unknown option ${argv[i]}`);
        }
    }
    if (!options.tools || !options.page) throw new Error('--tools and --page are required');
    return options;
}

async function main() {
    const options = parse(process.argv);
    const { chromium } = require(path.join(options.tools, 'node_modules', 'playwright-core'));
    const failures = [];
    const check = (ok, what) => { if (!ok) failures.push(what); };

    const browser = await chromium.launch({
        executablePath: process.env.DBADVISE_CHROMIUM || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
               '--disable-component-update', '--disable-sync'],
    });
    try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const url = 'file://' + path.resolve(options.page);
        const requests = [];
        page.on('request', (request) => requests.push(request.url()));
        const errors = [];
        page.on('pageerror', (error) => errors.push(String(error)));
        await page.goto(url, { waitUntil: 'load' });

        check(errors.length === 0, `script errors: ${errors.join('; ')}`);
        const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.content).catch(() => '');
        check(csp.includes("default-src 'none'"), `no Content-Security-Policy with default-src 'none' (got "${csp}")`);
        check((await page.locator('h1').count()) === 1, 'no h1 heading');
        check((await page.locator('#summary .card').count()) >= 3, 'no severity counts');
        for (const id of options.sections) {
            check((await page.locator(`#${id}`).count()) === 1, `section #${id} missing`);
        }
        // Our one script, nothing else.
        const scripts = await page.evaluate(() => document.scripts.length);
        check(scripts === 1, `${scripts} script elements (expected 1)`);

        if (options.sections.includes('charts')) {
            const bars = await page.locator('#charts svg rect').count();
            check(bars > 0, 'the charts have no bars');
            const width = await page.evaluate(() => {
                const svg = document.querySelector('#charts svg');
                return svg ? svg.getBoundingClientRect().width : 0;
            });
            check(width > 100, `the first chart renders ${width}px wide`);
        }

        if (options.findings !== null) {
            const rows = await page.locator('#findings-table tbody tr').count();
            check(rows === options.findings, `findings table has ${rows} rows, the JSON report ${options.findings} findings`);
            const details = await page.locator('details.finding').count();
            check(details === options.findings, `${details} finding details, expected ${options.findings}`);
        }

        // Sorting: a numeric column, descending on the first click, ascending on the second.
        for (const [table, header] of [['#findings-table', 'Time (ms)'], ['#statements-table', 'Calls']]) {
            if ((await page.locator(table).count()) === 0) continue;
            const column = await page.locator(`${table} thead th`).allTextContents();
            const index = column.findIndex((text) => text.trim() === header);
            check(index >= 0, `${table} has no "${header}" column`);
            if (index < 0) continue;
            const values = () => page.$$eval(`${table} tbody tr`, (rows, i) =>
                rows.map((row) => Number(row.cells[i].getAttribute('data-sort') || row.cells[i].textContent)), index);
            const th = page.locator(`${table} thead th`).nth(index);
            await th.click();
            const down = await values();
            check(down.every((v, i) => i === 0 || down[i - 1] >= v), `${table} not sorted descending by ${header}: ${down}`);
            check((await th.getAttribute('aria-sort')) === 'descending', `${table} header not marked descending`);
            await th.click();
            const up = await values();
            check(up.every((v, i) => i === 0 || up[i - 1] <= v), `${table} not sorted ascending by ${header}: ${up}`);
        }

        // The page loaded nothing but itself...
        const others = requests.filter((r) => r !== url);
        check(others.length === 0, `the page requested ${others.join(', ')}`);
        // ...and its policy refuses a request when one is tried.
        const blocked = await page.evaluate(async () => {
            let violation = false;
            document.addEventListener('securitypolicyviolation', () => { violation = true; });
            try {
                await fetch('http://127.0.0.1:9/should-be-blocked');
                return 'fetch succeeded';
            } catch (e) {
                await new Promise((resolve) => setTimeout(resolve, 100));
                return violation ? 'blocked' : 'failed without a CSP violation';
            }
        });
        check(blocked === 'blocked', `a fetch from the page: ${blocked}`);

        if (options.screenshot) {
            await page.evaluate(() => document.querySelectorAll('details').forEach((d, i) => { if (i < 2) d.open = true; }));
            await page.screenshot({ path: options.screenshot, fullPage: true });
        }
    } finally {
        await browser.close();
    }
    if (failures.length) {
        for (const f of failures) console.log(`FAIL: ${f}`);
        process.exit(1);
    }
    console.log(`ok: ${options.page} renders with every check passing`);
}

main().catch((error) => {
    console.log(`FAIL: ${error && error.stack ? error.stack : error}`);
    process.exit(1);
});
