// The Cost Management Query API, for the local ARM server (./server.ts hooks it in): what the real
// @azure/arm-costmanagement client sends `manage spend` through. Held to Azure/azure-rest-api-specs
// specification/cost-management/resource-manager/Microsoft.CostManagement/stable/2022-10-01/costmanagement.json
// (Query_Usage; QueryDefinition, QueryDataset, QueryResult) and its examples:
//   - POST {scope}/providers/Microsoft.CostManagement/query, a known api-version (the server has
//     already refused a missing one or a missing bearer token);
//   - the body: type Usage | ActualCost | AmortizedCost; timeframe from the spec's enum, and with
//     Custom a timePeriod {from, to} of date-times, from not after to; a dataset whose granularity is
//     Daily (or absent: one total), at most 2 aggregations each {name, function: "Sum"}, at most 2
//     groupings each {type: Dimension | Tag, name};
//   - the answer: {id, name, type, properties: {nextLink, columns: [{name, type}], rows}}, the
//     aggregate first (named after the column it sums), then the groupings, UsageDate (a number
//     like 20261120) with Daily, and Currency; `pageSize` rows a page, the rest behind nextLink
//     ($skiptoken), which is POSTed with the same body;
//   - errors in ARM's envelope {error: {code, message}}.
// Tests script the rows (`rows`) and read what was asked (`queries`).

import type { IncomingMessage } from "node:http";

/** A row of actual cost as Cost Management keeps it: a day, a resource, a meter. */
export interface CostRow {
  /** YYYY-MM-DD. */
  date: string;
  resourceId: string;
  meter: string;
  meterCategory?: string;
  cost: number;
  currency?: string;
}

export interface CostManagementStandIn {
  rows: CostRow[];
  /** Rows per page before a nextLink (the real service pages large answers too). */
  pageSize: number;
  /** The bodies the client sent, with the scope they were for and the api-version. */
  queries: Array<{ scope: string; apiVersion: string; body: any; skipToken: string | null }>;
  /** Called as each query arrives, before it is answered: a test acts at that moment of the caller's run. */
  onQuery?: () => void;
  handles(method: string | undefined, path: string): boolean;
  answer(req: IncomingMessage, url: URL, send: (status: number, body: string) => void): void;
}

/** The versions of Microsoft.CostManagement/query this stand-in answers (both in the specs). */
export const COST_MANAGEMENT_API_VERSIONS = ["2022-10-01", "2025-03-01"];

const TYPES = ["Usage", "ActualCost", "AmortizedCost"];
const TIMEFRAMES = ["MonthToDate", "BillingMonthToDate", "TheLastMonth", "TheLastBillingMonth", "WeekToDate", "Custom"];
/** Dimensions this stand-in can group by (a subset of the service's). */
const DIMENSIONS: Record<string, (r: CostRow) => string> = {
  ResourceId: (r) => r.resourceId,
  Meter: (r) => r.meter,
  MeterCategory: (r) => r.meterCategory ?? "Azure Container Apps",
  ResourceGroup: (r) => /resourceGroups\/([^/]+)/i.exec(r.resourceId)?.[1] ?? "",
  ResourceType: (r) => /providers\/([^/]+\/[^/]+)\//i.exec(r.resourceId)?.[1] ?? "",
};
const SUFFIX = "/providers/microsoft.costmanagement/query";
const armError = (code: string, message: string) => JSON.stringify({ error: { code, message } });

/** Why a body breaks the spec, or null. */
export function bodyProblem(body: any): string | null {
  if (!body || typeof body !== "object") return "The request body is missing or is not a JSON object.";
  if (!TYPES.includes(body.type)) return `Invalid query type '${body.type}': expected one of ${TYPES.join(", ")}.`;
  if (!TIMEFRAMES.includes(body.timeframe)) return `Invalid timeframe '${body.timeframe}': expected one of ${TIMEFRAMES.join(", ")}.`;
  if (body.timeframe === "Custom") {
    const { from, to } = body.timePeriod ?? {};
    if (typeof from !== "string" || typeof to !== "string") return "timePeriod with from and to is required when timeframe is Custom.";
    if (Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) return `timePeriod from '${from}' and to '${to}' must be date-times.`;
    if (Date.parse(from) > Date.parse(to)) return `timePeriod from '${from}' is after to '${to}'.`;
  }
  const d = body.dataset;
  if (!d || typeof d !== "object") return "dataset is required.";
  if (d.granularity !== undefined && d.granularity !== "Daily" && d.granularity !== "None")
    return `Invalid granularity '${d.granularity}': the query supports Daily (or none, for totals).`;
  const aggregations = Object.entries(d.aggregation ?? {}) as Array<[string, any]>;
  if (aggregations.length > 2) return "A query can have up to 2 aggregation clauses.";
  for (const [alias, a] of aggregations)
    if (typeof a?.name !== "string" || a.function !== "Sum") return `Aggregation '${alias}' needs a column name and function Sum.`;
  const grouping = (d.grouping ?? []) as any[];
  if (!Array.isArray(grouping) || grouping.length > 2) return "A query can have up to 2 group by clauses.";
  for (const g of grouping) {
    if (g?.type !== "Dimension" && g?.type !== "Tag") return `Grouping '${g?.name}' needs type Dimension or Tag.`;
    if (g.type === "Dimension" && !(g.name in DIMENSIONS)) return `Invalid dimension '${g.name}' in grouping.`;
  }
  return null;
}

export function costManagementStandIn(): CostManagementStandIn {
  const standIn: CostManagementStandIn = {
    rows: [],
    pageSize: 1000,
    queries: [],
    handles: (method, path) => method === "POST" && path.toLowerCase().endsWith(SUFFIX),
    answer(req, url, send) {
      let text = "";
      req.setEncoding("utf8");
      req.on("data", (chunk: string) => (text += chunk));
      req.on("end", () => {
        const apiVersion = url.searchParams.get("api-version") ?? "";
        if (!COST_MANAGEMENT_API_VERSIONS.includes(apiVersion))
          return send(
            400,
            armError("NoRegisteredProviderFound", `No registered resource provider found for location 'global' and API version '${apiVersion}' for type 'query'. The supported api-versions are '${COST_MANAGEMENT_API_VERSIONS.join(", ")}'.`),
          );
        let body: any;
        try {
          body = JSON.parse(text);
        } catch {
          return send(400, armError("BadRequest", "The request body is not valid JSON."));
        }
        const problem = bodyProblem(body);
        if (problem) return send(400, armError("BadRequest", problem));
        const scope = url.pathname.slice(0, -SUFFIX.length);
        const skipToken = url.searchParams.get("$skiptoken");
        standIn.queries.push({ scope, apiVersion, body, skipToken });
        standIn.onQuery?.();
        const all = result(standIn.rows, scope, body);
        const start = skipToken ? Number(skipToken) : 0;
        const page = all.rows.slice(start, start + standIn.pageSize);
        const more = start + standIn.pageSize < all.rows.length;
        const next = new URL(url.href);
        next.searchParams.set("$skiptoken", String(start + standIn.pageSize));
        send(
          200,
          JSON.stringify({
            id: `${scope}/providers/Microsoft.CostManagement/query/00000000-0000-0000-0000-000000000001`,
            name: "00000000-0000-0000-0000-000000000001",
            type: "Microsoft.CostManagement/query",
            properties: { nextLink: more ? `${origin(req)}${next.pathname}${next.search}` : null, columns: all.columns, rows: page },
          }),
        );
      });
    },
  };
  return standIn;
}

/** The URL the client reached this server at, for nextLink (the real service answers its own host). */
const origin = (req: IncomingMessage) => `https://${req.headers.host}`;

/** Rows in the scope and period, summed per day (Daily) and grouping, in the spec's column order. */
function result(rows: CostRow[], scope: string, body: any) {
  const daily = body.dataset.granularity === "Daily";
  const [alias, aggregation] = (Object.entries(body.dataset.aggregation ?? { totalCost: { name: "Cost" } })[0] ?? []) as [string, { name: string }];
  const groups = ((body.dataset.grouping ?? []) as Array<{ type: string; name: string }>).map((g) => g.name);
  const from = body.timePeriod ? body.timePeriod.from.slice(0, 10) : "0000-00-00";
  const to = body.timePeriod ? body.timePeriod.to.slice(0, 10) : "9999-99-99";
  const sums = new Map<string, { key: unknown[]; cost: number; currency: string }>();
  for (const r of rows) {
    if (!r.resourceId.toLowerCase().startsWith(`${scope.toLowerCase()}/`) || r.date < from || r.date > to) continue;
    const key = [...groups.map((g) => DIMENSIONS[g]?.(r) ?? ""), ...(daily ? [Number(r.date.replaceAll("-", ""))] : [])];
    const id = JSON.stringify(key);
    const entry = sums.get(id) ?? { key, cost: 0, currency: r.currency ?? "USD" };
    entry.cost += r.cost;
    sums.set(id, entry);
  }
  const columns = [
    { name: aggregation?.name ?? alias, type: "Number" },
    ...groups.map((name) => ({ name, type: "String" })),
    ...(daily ? [{ name: "UsageDate", type: "Number" }] : []),
    { name: "Currency", type: "String" },
  ];
  return { columns, rows: [...sums.values()].map((e) => [e.cost, ...e.key, e.currency]) };
}
