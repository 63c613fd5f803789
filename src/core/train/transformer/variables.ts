import * as tf from '@tensorflow/tfjs';
import type { Float32Tensor } from '../../model/init.ts';
import { layerNorm } from './layers.ts';

/**
 * A model's TF.js variables under their HF state-dict names, with the reading, writing and
 * lookups the BERT encoder and the GPT-2 decoder share.
 */
export class ModelVariables {
  private constructor(
    readonly map: Map<string, tf.Variable>,
    /** Names the model in lookup errors ("Encoder has no weight …"). */
    private readonly owner: string,
  ) {}

  /** Variables holding copies of `weights`, in their order; `trainable` picks which train. */
  static create(
    owner: string,
    weights: ReadonlyMap<string, Float32Tensor>,
    trainable: (name: string) => boolean = () => true,
  ): ModelVariables {
    const map = new Map<string, tf.Variable>();
    for (const [name, tensor] of weights) {
      // Unnamed: TF.js variable names are global, and several models may coexist. tf.variable
      // copies its initial value: dispose the temporary, or every model leaks one tensor (a GPU
      // buffer on webgpu) per weight.
      const value = tf.tensor(tensor.data, tensor.shape, 'float32');
      map.set(name, tf.variable(value, trainable(name)));
      value.dispose();
    }
    return new ModelVariables(map, owner);
  }

  get(name: string): tf.Variable {
    const variable = this.map.get(name);
    if (!variable) throw new RangeError(`${this.owner} has no weight "${name}"`);
    return variable;
  }

  matrix(name: string): tf.Variable<tf.Rank.R2> {
    return this.get(name) as tf.Variable<tf.Rank.R2>;
  }

  vector(name: string): tf.Variable<tf.Rank.R1> {
    return this.get(name) as tf.Variable<tf.Rank.R1>;
  }

  /** LayerNorm of `x` with `${prefix}.weight` as gamma and `${prefix}.bias` as beta. */
  layerNorm(prefix: string, x: tf.Tensor, eps: number): tf.Tensor {
    return layerNorm(x, this.vector(`${prefix}.weight`), this.vector(`${prefix}.bias`), eps);
  }

  /** A float32 copy of every weight, read with `await data()` (safe on webgpu). */
  async read(): Promise<Map<string, Float32Tensor>> {
    const weights = new Map<string, Float32Tensor>();
    for (const [name, variable] of this.map) {
      // A copy: the cpu backend hands out its own storage.
      const data = Float32Array.from((await variable.data()) as Float32Array);
      weights.set(name, { dtype: 'F32', shape: [...variable.shape], data });
    }
    return weights;
  }

  /** Overwrites every variable in place; the caller checks the shapes first. */
  assign(weights: ReadonlyMap<string, Float32Tensor>): void {
    for (const [name, variable] of this.map) {
      const tensor = weights.get(name);
      if (!tensor) throw new RangeError(`Missing weight "${name}"`);
      tf.tidy(() => variable.assign(tf.tensor(tensor.data, tensor.shape, 'float32')));
    }
  }

  dispose(): void {
    for (const variable of this.map.values()) variable.dispose();
    this.map.clear();
  }
}
