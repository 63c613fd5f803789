export {
  mapAnalysisId,
  mapStoredSet,
  pointCategories,
  type MapRequest,
  type PointCategories,
} from './stored-map.ts';
export { pointInPolygon, rowsInRegion, type MapRegion } from './select.ts';
