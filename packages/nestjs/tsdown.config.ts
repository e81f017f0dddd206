import { defineConfig } from 'tsdown';
import { packageBuild } from '../../tsdown.base.ts';

// Two entries: the recipes are a subpath of their own, so the main entry needs no cache-manager.
export default defineConfig(packageBuild({ entry: ['src/index.ts', 'src/recipes.ts'] }));
