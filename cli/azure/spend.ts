// What a resource group really cost: the Cost Management Query API through the real
// @azure/arm-costmanagement client (1.0.0-beta.2, API version 2022-10-01), with the credential every
// Azure call uses (./live.ts). Loaded only by `manage spend` (dynamic import: the SDK is heavy).
//
// Shapes, from Azure/azure-rest-api-specs
// specification/cost-management/resource-manager/Microsoft.CostManagement/stable/2022-10-01/costmanagement.json
// (operation Query_Usage, definitions QueryDefinition, QueryDataset, QueryResult) and its examples
// ResourceGroupQuery.json and SubscriptionQueryGrouping.json:
//   POST {scope}/providers/Microsoft.CostManagement/query?api-version=2022-10-01
//   {type: "ActualCost", timeframe: "Custom", timePeriod: {from, to},
//    dataset: {granularity: "Daily", aggregation: {totalCost: {name: "Cost", function: "Sum"}},
//              grouping: [{type: "Dimension", name: "ResourceId"}, {type: "Dimension", name: "Meter"}]}}
//   -> {properties: {columns: [{name, type}], rows: [[...]], nextLink}}
// "Daily" is the only granularity the spec admits (no hourly), and a query may group by at most two
// columns, so rows are per day, resource and meter (the meter names the model's meters use). A
// nextLink is POSTed again with the same body until there is none.

import type { QueryDefinition } from "@azure/arm-costmanagement";
import { armOptions, azureCredential, explainAzureError } from "./live.js";

export interface SpendTarget {
  subscriptionId: string;
  resourceGroup: string;
  from: Date;
  to: Date;
}

/** One row of actual cost: a day, a resource, a meter, in the billing currency. */
export type SpendRow = ReturnType<typeof rowsOf>[number];

/**
 * The query's scope, without a leading slash: the operation's path is "/{scope}/providers/..." with
 * the scope not URL-encoded, and the spec's examples give it as "subscriptions/{id}/resourceGroups/{name}".
 */
export const scopeOf = (t: Pick<SpendTarget, "subscriptionId" | "resourceGroup">) => `subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}`;

/** The query: actual cost over the period, per day, resource and meter. */
export function queryDefinition(from: Date, to: Date): QueryDefinition {
  return {
    type: "ActualCost",
    timeframe: "Custom",
    timePeriod: { from, to },
    dataset: {
      granularity: "Daily",
      aggregation: { totalCost: { name: "Cost", function: "Sum" } },
      grouping: [
        { type: "Dimension", name: "ResourceId" },
        { type: "Dimension", name: "Meter" },
      ],
    },
  };
}

interface QueryPage {
  columns?: Array<{ name?: string; type?: string }>;
  rows?: unknown[][];
  nextLink?: string | null;
}

/**
 * Rows of a page by column name, not position: the service puts the aggregate first, then the
 * groupings, the date and the currency, but only the names are promised. The aggregate's column is
 * named after the column it sums (Cost, PreTaxCost), or its alias.
 */
export function rowsOf(page: QueryPage) {
  const names = (page.columns ?? []).map((c) => (c.name ?? "").toLowerCase());
  const at = (...candidates: string[]) => names.findIndex((n) => candidates.includes(n));
  const cost = at("cost", "pretaxcost", "totalcost", "costusd", "pretaxcostusd");
  const resource = at("resourceid");
  const meter = at("meter");
  const date = at("usagedate");
  const currency = at("currency");
  if (cost < 0 || resource < 0 || meter < 0) throw new Error(`Cost Management answered columns ${JSON.stringify(names)}, without cost, ResourceId and Meter`);
  return (page.rows ?? []).map((row) => {
    const day = date >= 0 ? String(row[date]) : "";
    return {
      /** YYYY-MM-DD (UTC). UsageDate is a number like 20261120. */
      date: /^\d{8}$/.test(day) ? `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}` : day,
      resourceId: String(row[resource] ?? ""),
      meter: String(row[meter] ?? ""),
      cost: Number(row[cost] ?? 0),
      currency: currency >= 0 ? String(row[currency] ?? "") : "",
    };
  });
}

/** Actual cost of the resource group over the period, every page. */
export async function queryActualCost(target: SpendTarget, env: NodeJS.ProcessEnv = process.env): Promise<{ available: true; rows: SpendRow[]; pages: number } | { available: false; reason: string }> {
  const [{ CostManagementClient }, { createHttpHeaders, createPipelineRequest }] = await Promise.all([
    import("@azure/arm-costmanagement"),
    import("@azure/core-rest-pipeline"),
  ]);
  const client = new CostManagementClient(await azureCredential(env), armOptions(env, 2));
  const scope = scopeOf(target);
  const body = queryDefinition(target.from, target.to);
  try {
    const first = await client.query.usage(scope, body);
    const rows = rowsOf(first);
    let next = first.nextLink;
    let pages = 1;
    // The SDK returns nextLink but does not follow it for this POST: the same body goes to the link,
    // through the client's own pipeline (its bearer token, retries and endpoint).
    while (next) {
      if (pages >= 1000) throw new Error("Cost Management kept answering nextLink after 1000 pages");
      const response = await client.sendRequest(
        createPipelineRequest({
          url: next,
          method: "POST",
          body: JSON.stringify(body),
          headers: createHttpHeaders({ "content-type": "application/json", accept: "application/json" }),
        }),
      );
      const parsed = JSON.parse(response.bodyAsText ?? "{}") as { properties?: QueryPage; error?: { code?: string; message?: string } };
      if (response.status >= 400)
        throw Object.assign(new Error(parsed.error?.message ?? `HTTP ${response.status}`), { statusCode: response.status, code: parsed.error?.code });
      rows.push(...rowsOf(parsed.properties ?? {}));
      next = parsed.properties?.nextLink ?? undefined;
      pages++;
    }
    return { available: true, rows, pages };
  } catch (err) {
    return { available: false, reason: explainAzureError(err, `the cost of resource group ${target.resourceGroup}`) };
  }
}
