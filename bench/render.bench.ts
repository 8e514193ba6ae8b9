import { Liquid } from 'liquidjs'
import { Bench } from 'tinybench'
import { createRenderer } from '../src/render/index.js'
import type { CustomerConnectionResponse } from '../src/schema/index.js'

/** A 10-section response like the mock serves: links and lists over nested customer data. */
export function tenSectionResponse(name = 'Kelly Customer'): CustomerConnectionResponse {
  const sections: CustomerConnectionResponse['sections'] = []
  for (let i = 0; i < 5; i++) {
    sections.push({ type: 'link', title: `Dashboard ${i}`, description: 'Plan {{ data.customer.plan | upcase }}', href: `https://dashboard.example.com/${i}/{{ data.customer.id }}` })
    sections.push({
      type: 'list',
      title: 'Account {{ data.customer.organization.name }}',
      items: [
        { description: 'Name', value: '{{ data.customer.name }}' },
        { description: 'Seats', value: '{{ data.customer.seats }}' },
        { description: 'Tags', value: '{{ data.customer.tags | join: ", " }}' },
        { description: 'Since', value: '{{ data.customer.created_at | date: "%b %d, %Y" }}' },
      ],
    })
  }
  return {
    version: '2024-03-06',
    customer: { id: 'cus_123', name, plan: 'business', seats: 42, tags: ['vip', 'beta'], created_at: '2023-10-15T12:00:00Z', organization: { id: 'org_1', name: 'Acme' } },
    sections,
  }
}

/** Every template string of a response's sections: titles, descriptions, hrefs, list items. */
export function templatesOf(response: CustomerConnectionResponse): string[] {
  const strings: string[] = []
  const collect = (value: unknown): void => {
    if (typeof value === 'string') strings.push(value)
    else if (Array.isArray(value)) value.forEach(collect)
    else if (value !== null && typeof value === 'object') for (const [key, child] of Object.entries(value)) if (key !== 'type') collect(child)
  }
  collect(response.sections)
  return strings
}

export const RENDER_ANCHOR = 'anchor: raw liquidjs renders the same templates (parsed once)'

export async function run(): Promise<Bench> {
  const bench = new Bench({ time: 1000, warmupTime: 200 })
  const warm = createRenderer()
  const response = tenSectionResponse()
  warm.render(response)
  // The anchor: liquidjs with none of our checks, limits, metering or memoised dates, given the
  // time zone and locale our renderer sets, so both write the same text.
  const liquid = new Liquid({ timezoneOffset: 0, locale: 'en-US' })
  const parsed = templatesOf(response).map((template) => liquid.parse(template))
  const scope = { data: { customer: response.customer } }
  let n = 0
  bench
    .add('render 10 sections, templates cached', () => {
      warm.render(response)
    })
    .add(RENDER_ANCHOR, () => {
      for (const template of parsed) liquid.renderSync(template, scope)
    })
    .add('render 10 sections, new customer each time (cached templates)', () => {
      warm.render(tenSectionResponse(`Customer ${n++}`))
    })
    .add('render 10 sections, cold (new renderer: parse every template)', () => {
      createRenderer().render(response)
    })
  await bench.run()
  return bench
}
