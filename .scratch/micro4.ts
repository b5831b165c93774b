import { bench } from './micro3.ts';
