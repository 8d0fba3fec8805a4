export { default } from '@saga/tooling/vitest';
