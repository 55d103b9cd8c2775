/**
 * Mapper throughput: a 20-field mapping with a list (line items) and two static lookups, against the
 * same transformation in JSONata (compiled once) and as a hand-written JS function.
 * Run: npx tsx bench/mapping.ts   (goal: >= 10x JSONata, >= 0.3x hand-written)
 */
import { deepStrictEqual } from 'node:assert/strict';
import jsonata from 'jsonata';
import { compileMapping, type Mapping } from '../src/mapping/index.js';

const COUNTRIES = ['US', 'DE', 'GB', 'FR'];
const STATUSES = ['open', 'closed', 'pending'];

function makeRecord(i: number): Record<string, unknown> {
  const lines = [];
  for (let j = 0; j < 1 + (i % 4); j++) {
    lines.push({ sku: `SKU-${i}-${j}`, qty: String(1 + j), price: `${(10 + j).toFixed(2)}`, desc: `Item ${j}` });
  }
  return {
    id: 100000 + i,
    orderNumber: `${5000 + i}`,
    status: STATUSES[i % 3],
    customer: {
      firstName: `Ann${i}`,
      lastName: 'Lee',
      email: `ann${i}@example.com`,
      phone: 5550000 + i,
      vip: i % 2 === 0 ? 'yes' : ' No ',
    },
    shipping: {
      address: { line1: `${i} Main St`, city: 'Springfield', zip: 10000 + (i % 90000), country: COUNTRIES[i % 4] },
      ...(i % 5 === 0 ? {} : { method: 'express' }),
      cost: '12.50',
    },
    total: `${(199.9 + i).toFixed(2)}`,
    discount: i % 3 === 0 ? '5' : '0',
    taxable: i % 2 === 0 ? 'false' : 'true',
    lines,
  };
}

const mapping: Mapping = {
  fields: [
    { extract: 'id', generate: 'externalId', dataType: 'string' },
    { extract: 'orderNumber', generate: 'orderNumber', dataType: 'number' },
    { extract: 'status', generate: 'statusCode', lookupName: 'status' },
    { extract: 'customer.firstName', generate: 'customer.first' },
    { extract: 'customer.lastName', generate: 'customer.last' },
    { extract: '{customer.firstName} {customer.lastName}', generate: 'customer.fullName' },
    { extract: 'customer.email', generate: 'customer.email' },
    { extract: 'customer.phone', generate: 'customer.phone', dataType: 'string' },
    { extract: 'customer.vip', generate: 'customer.vip', dataType: 'boolean' },
    { extract: 'shipping.address.line1', generate: 'ship.street' },
    { extract: 'shipping.address.city', generate: 'ship.city' },
    { extract: 'shipping.address.zip', generate: 'ship.zip', dataType: 'string' },
    { extract: 'shipping.address.country', generate: 'ship.country' },
    { extract: 'shipping.address.country', generate: 'currency', lookupName: 'currency' },
    { extract: 'shipping.method', generate: 'ship.method', default: 'ground' },
    { extract: 'shipping.cost', generate: 'ship.cost', dataType: 'number' },
    { extract: 'total', generate: 'amounts.total', dataType: 'number' },
    { extract: 'discount', generate: 'amounts.discount', dataType: 'number' },
    { extract: 'taxable', generate: 'amounts.taxable', dataType: 'boolean' },
    { generate: 'source', hardCodedValue: 'integrator' },
  ],
  lists: [
    {
      generate: 'items',
      fields: [
        { extract: 'lines[*].sku', generate: 'sku' },
        { extract: 'lines[*].qty', generate: 'quantity', dataType: 'number' },
        { extract: 'lines[*].price', generate: 'rate', dataType: 'number' },
        { extract: 'lines[*].desc', generate: 'description' },
        { extract: 'orderNumber', generate: 'order' },
      ],
    },
  ],
  lookups: {
    status: { map: { open: 'O', closed: 'C', pending: 'P' } },
    currency: { map: { US: 'USD', DE: 'EUR', GB: 'GBP' }, allowFailures: true, default: 'USD' },
  },
};

// The same rules in JSONata; the data set keeps to values both conversions agree on.
const jsonataSource = `(
  $bool := function($v){ $type($v) = "string" ? ($lowercase($trim($v)) in ["false","off","no"] or $v = "" ? false : true) : $boolean($v) };
  $cur := $lookup({"US":"USD","DE":"EUR","GB":"GBP"}, shipping.address.country);
  {
    "externalId": $string(id),
    "orderNumber": $number(orderNumber),
    "statusCode": $lookup({"open":"O","closed":"C","pending":"P"}, status),
    "customer": {
      "first": customer.firstName,
      "last": customer.lastName,
      "fullName": customer.firstName & " " & customer.lastName,
      "email": customer.email,
      "phone": $string(customer.phone),
      "vip": $bool(customer.vip)
    },
    "ship": {
      "street": shipping.address.line1,
      "city": shipping.address.city,
      "zip": $string(shipping.address.zip),
      "country": shipping.address.country,
      "method": $exists(shipping.method) ? shipping.method : "ground",
      "cost": $number(shipping.cost)
    },
    "currency": $exists($cur) ? $cur : "USD",
    "amounts": {
      "total": $number(total),
      "discount": $number(discount),
      "taxable": $bool(taxable)
    },
    "source": "integrator",
    "items": [lines.{
      "sku": sku,
      "quantity": $number(qty),
      "rate": $number(price),
      "description": desc,
      "order": $$.orderNumber
    }]
  }
)`;

const STATUS: Record<string, string> = { open: 'O', closed: 'C', pending: 'P' };
const CURRENCY: Record<string, string> = { US: 'USD', DE: 'EUR', GB: 'GBP' };
const num = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};
const bool = (v: unknown): boolean => {
  const w = String(v).trim().toLowerCase();
  return !(v === '' || w === 'false' || w === 'off' || w === 'no');
};

// What a developer would write by hand for this data.
function handWritten(r: any): Record<string, unknown> {
  const c = r.customer;
  const a = r.shipping.address;
  const country = a.country;
  return {
    externalId: String(r.id),
    orderNumber: num(r.orderNumber),
    statusCode: STATUS[r.status],
    customer: {
      first: c.firstName,
      last: c.lastName,
      fullName: `${c.firstName} ${c.lastName}`,
      email: c.email,
      phone: String(c.phone),
      vip: bool(c.vip),
    },
    ship: {
      street: a.line1,
      city: a.city,
      zip: String(a.zip),
      country,
      method: r.shipping.method ?? 'ground',
      cost: num(r.shipping.cost),
    },
    currency: CURRENCY[country] ?? 'USD',
    amounts: { total: num(r.total), discount: num(r.discount), taxable: bool(r.taxable) },
    source: 'integrator',
    items: r.lines.map((l: any) => ({
      sku: l.sku,
      quantity: num(l.qty),
      rate: num(l.price),
      description: l.desc,
      order: r.orderNumber,
    })),
  };
}

const PAGE = 1000;
const page = Array.from({ length: PAGE }, (_, i) => makeRecord(i));
const compiled = compileMapping(mapping);
const expr = jsonata(jsonataSource);

async function mapperPage(records: readonly unknown[]): Promise<unknown[]> {
  const outcomes = await compiled.mapPage(records);
  return outcomes.map((o) => {
    if (!('record' in o)) throw new Error(`mapper error: ${JSON.stringify(o.errors)}`);
    return o.record;
  });
}
async function jsonataPage(records: readonly unknown[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const r of records) out.push(await expr.evaluate(r));
  return out;
}
async function handPage(records: readonly unknown[]): Promise<unknown[]> {
  return records.map(handWritten);
}

// Identical output first: the figures compare the same work.
const expected = await handPage(page);
deepStrictEqual(await mapperPage(page), expected);
deepStrictEqual(JSON.parse(JSON.stringify(await jsonataPage(page))), expected);

type Impl = { name: string; run: (records: readonly unknown[]) => Promise<unknown[]>; chunk: number; records: number; ms: number };

// Runs chunks of the page for about `ms`, adding to the implementation's totals.
async function slice(impl: Impl, ms: number): Promise<void> {
  const start = performance.now();
  let at = 0;
  while (performance.now() - start < ms) {
    const chunk = page.slice(at, at + impl.chunk);
    await impl.run(chunk);
    impl.records += chunk.length;
    at = (at + impl.chunk) % PAGE;
  }
  impl.ms += performance.now() - start;
}

// Short interleaved slices: the machine may be busy with other work, and every implementation
// should see the same share of it, so the ratios hold even when the absolute figures wobble.
const seconds = Number(process.env.BENCH_SECONDS ?? 3);
const SLICE_MS = 25;
const impls: Impl[] = [
  { name: 'integrator mapper', run: mapperPage, chunk: PAGE, records: 0, ms: 0 },
  { name: 'JSONata (compiled once)', run: jsonataPage, chunk: 20, records: 0, ms: 0 },
  { name: 'hand-written JS', run: handPage, chunk: PAGE, records: 0, ms: 0 },
];
for (const impl of impls) await slice(impl, 300);
for (const impl of impls) Object.assign(impl, { records: 0, ms: 0 });
for (let t = 0; t < (seconds * 1000) / SLICE_MS; t++) for (const impl of impls) await slice(impl, SLICE_MS);
const results = impls.map((i) => ({ name: i.name, rate: i.records / (i.ms / 1000) }));
const [ours, jsonataResult, hand] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];
console.log(`mapping: 20 fields + list (1-4 lines/record), 2 static lookups; mapper and hand-written on ${PAGE}-record pages, JSONata per record; Node ${process.version}`);
console.log(`${'implementation'.padEnd(26)}${'records/s'.padStart(14)}${'mapper is'.padStart(14)}`);
for (const r of results) {
  const ratio = ours.rate / r.rate;
  console.log(`${r.name.padEnd(26)}${Math.round(r.rate).toLocaleString('en-US').padStart(14)}${`${ratio.toFixed(2)}x`.padStart(14)}`);
}
const vsJsonata = ours.rate / jsonataResult.rate;
const vsHand = ours.rate / hand.rate;
console.log(
  `goals: >= 10x JSONata: ${vsJsonata.toFixed(1)}x ${vsJsonata >= 10 ? 'met' : 'NOT met'}; ` +
    `>= 0.3x hand-written: ${vsHand.toFixed(2)}x ${vsHand >= 0.3 ? 'met' : 'NOT met'}`,
);
