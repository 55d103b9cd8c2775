import { describe, expect, it } from 'vitest';
import { compileMapping, type Mapping } from './index.js';

const mapped = (mapping: Mapping, record: object): unknown => {
  const outcome = compileMapping(mapping).mapRecord(record);
  if (!('record' in outcome)) throw new Error(JSON.stringify(outcome.errors));
  return outcome.record;
};

const order = {
  id: 'SO-1',
  customer: { name: 'Acme' },
  order_lines: [
    { sku: 'A', qty: '2', price: '1.50' },
    { sku: 'B', qty: '1', price: '10' },
  ],
};

describe('list rules', () => {
  it('generates one row per source element; fields without [*] repeat on every row', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'id', generate: 'orderId' }],
      lists: [
        {
          generate: 'item',
          fields: [
            { extract: 'order_lines[*].sku', generate: 'item' },
            { extract: 'order_lines[*].qty', generate: 'quantity', dataType: 'number' },
            { extract: 'order_lines[*].price', generate: 'rate.amount', dataType: 'number' },
            { extract: 'customer.name', generate: 'customer' },
            { generate: 'taxable', hardCodedValue: true },
          ],
        },
      ],
    };
    expect(mapped(mapping, order)).toStrictEqual({
      orderId: 'SO-1',
      item: [
        { item: 'A', quantity: 2, rate: { amount: 1.5 }, customer: 'Acme', taxable: true },
        { item: 'B', quantity: 1, rate: { amount: 10 }, customer: 'Acme', taxable: true },
      ],
    });
  });

  it('iterates [*] at several depths: one row per innermost element, outer fields from its parent', () => {
    const record = {
      shipments: [
        { no: 1, boxes: [{ id: 'a' }, { id: 'b' }] },
        { no: 2, boxes: [] },
        { no: 3, boxes: [{ id: 'c' }] },
      ],
    };
    const mapping: Mapping = {
      lists: [
        {
          generate: 'boxes',
          fields: [
            { extract: 'shipments[*].no', generate: 'shipment' },
            { extract: 'shipments[*].boxes[*].id', generate: 'box' },
            { extract: '{shipments[*].no}/{shipments[*].boxes[*].id}', generate: 'label' },
          ],
        },
      ],
    };
    expect(mapped(mapping, record)).toStrictEqual({
      boxes: [
        { shipment: 1, box: 'a', label: '1/a' },
        { shipment: 1, box: 'b', label: '1/b' },
        { shipment: 3, box: 'c', label: '3/c' },
      ],
    });
  });

  it('addresses keys with dots and spaces in list paths', () => {
    const record = { 'line.items': [{ 'unit price': 3, 'sku.code': 'X' }] };
    const mapping: Mapping = {
      lists: [
        {
          generate: "['out.lines']",
          fields: [
            { extract: "['line.items'][*].unit price", generate: 'price' },
            { extract: "['line.items'][*]['sku.code']", generate: "['sku.code']" },
          ],
        },
      ],
    };
    expect(mapped(mapping, record)).toStrictEqual({ 'out.lines': [{ price: 3, 'sku.code': 'X' }] });
  });

  it('iterates arrays of scalars with a trailing [*]', () => {
    const mapping: Mapping = { lists: [{ generate: 'tags', fields: [{ extract: 'tags[*]', generate: 'name' }] }] };
    expect(mapped(mapping, { tags: ['x', 'y'] })).toStrictEqual({ tags: [{ name: 'x' }, { name: 'y' }] });
  });

  it('is left out when the source array is missing and [] when it is empty', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'id', generate: 'id' }],
      lists: [{ generate: 'items', fields: [{ extract: 'lines[*].sku', generate: 'sku' }] }],
    };
    expect(mapped(mapping, { id: 1 })).toStrictEqual({ id: 1 });
    expect(mapped(mapping, { id: 1, lines: [] })).toStrictEqual({ id: 1, items: [] });
  });

  it('reads a lone object where an array is expected as one element', () => {
    const mapping: Mapping = { lists: [{ generate: 'items', fields: [{ extract: 'lines[*].sku', generate: 'sku' }] }] };
    expect(mapped(mapping, { lines: { sku: 'only' } })).toStrictEqual({ items: [{ sku: 'only' }] });
  });

  it('keeps a row whose fields are all missing as {} so rows line up with elements', () => {
    const mapping: Mapping = { lists: [{ generate: 'items', fields: [{ extract: 'lines[*].sku', generate: 'sku' }] }] };
    expect(mapped(mapping, { lines: [{ sku: 'A' }, { other: 1 }] })).toStrictEqual({ items: [{ sku: 'A' }, {}] });
  });

  it('gives a single row when no field has [*]', () => {
    const mapping: Mapping = { lists: [{ generate: 'address', fields: [{ extract: 'city', generate: 'city' }] }] };
    expect(mapped(mapping, { city: 'Oslo' })).toStrictEqual({ address: [{ city: 'Oslo' }] });
  });

  it('places a list under a nested generate path beside field rules', () => {
    const mapping: Mapping = {
      fields: [{ extract: 'id', generate: 'order.id' }],
      lists: [{ generate: 'order.lines', fields: [{ extract: 'order_lines[*].sku', generate: 'sku' }] }],
    };
    expect(mapped(mapping, order)).toStrictEqual({ order: { id: 'SO-1', lines: [{ sku: 'A' }, { sku: 'B' }] } });
  });

  it('applies defaults and conversions per row, and accepts legacy gField on the list', () => {
    const mapping: Mapping = {
      lists: [
        {
          gField: 'rows',
          fields: [
            { eField: 'lines[*].qty', gField: 'qty', dataType: 'number', default: 1 },
            { extract: 'lines[*].gift', generate: 'gift', dataType: 'boolean' },
          ],
        },
      ],
    };
    expect(mapped(mapping, { lines: [{ qty: '3', gift: 'yes' }, { gift: 'no' }] })).toStrictEqual({
      rows: [
        { qty: 3, gift: true },
        { qty: 1, gift: false },
      ],
    });
  });
});
