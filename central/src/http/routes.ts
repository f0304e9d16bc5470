/**
 * The route table: every authenticated API route of central, as data. To add routes, write a module
 * under routes/ exporting a RouteModule (see routes/readings.ts) and add it to this list — one line.
 * The app registers, authenticates and documents them from here, and the auth-matrix test
 * (test/auth/auth.matrix.test.ts) walks this same list.
 */

import { averagesRoutes } from "../averages/routes.ts";
import { backfillRoutes } from "../backfill/routes.ts";
import { conflictsRoutes } from "../conflicts/routes.ts";
import { edgesRoutes } from "../edges/routes.ts";
import { limitsRoutes } from "../equipment/limits-routes.ts";
import { equipmentRoutes } from "../equipment/routes.ts";
import type { ApiRoute, RouteModule } from "./route.ts";
import { edgeBatchRoutes } from "./routes/edge-batches.ts";
import { readingsRoutes } from "./routes/readings.ts";

// biome-ignore format: one module per line, so adding a module is a one-line change.
export const routeModules: readonly RouteModule[] = [
  edgeBatchRoutes,
  readingsRoutes,
  edgesRoutes,
  backfillRoutes,
  averagesRoutes,
  equipmentRoutes,
  limitsRoutes,
  conflictsRoutes,
];

export const apiRoutes: readonly ApiRoute[] = routeModules.flat();
