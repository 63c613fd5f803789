export {
  chooseDevice,
  type DeviceChoice,
  type DeviceChoiceContext,
  type DeviceMeasurement,
  type DevicePreference,
  type WebGpuStatus,
} from './choose-device.ts';
export {
  measureTokensPerSecond,
  type CalibrationModel,
  type CalibrationOptions,
} from './calibrate.ts';
