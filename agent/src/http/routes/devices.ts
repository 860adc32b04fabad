import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GdlError } from '../../backends/errors.ts';
import { errors } from '../schemas/common.ts';
import { Device, DeviceList, DeviceParams } from '../schemas/devices.ts';
import { deviceJson } from '../present.ts';

const devices: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/devices',
    { schema: { tags: ['devices'], summary: 'All devices with capacity and usage', response: { 200: DeviceList, ...errors(503) } } },
    async () => ({ items: app.backend.devices().map(deviceJson) }),
  );

  app.get(
    '/v1/devices/:index',
    { schema: { tags: ['devices'], summary: 'One device', params: DeviceParams, response: { 200: Device, ...errors(400, 404, 503) } } },
    async (req) => {
      const d = app.backend.devices().find((x) => x.index === req.params.index);
      if (!d) throw new GdlError('device', 19 /* ENODEV */, `device ${req.params.index}`);
      return deviceJson(d);
    },
  );
};
export default devices;
