//! Each kind of plan kernel launched on the device: the grid and block a kernel of
//! `kernels.cu` expects, its arguments in its order, and the products handed to cuBLAS. Every
//! argument comes from the plan (sizes, buffers, weights) or the control block in device
//! memory, never from the step.

use cudarc::cublas::{result as cublas_result, sys as cublas_sys, CudaBlas, Gemm, GemmConfig};
use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut, LaunchConfig, PushKernelArg};

use super::{device_error, CudaBatch, CudaPlanEngine, Element, KernelLayout, Result};
use crate::marian::backend::plan::ir::{Buffer, Kernel, Weight};
use crate::marian::backend::plan::Plan;
use crate::marian::config::Activation;

fn grid(x: usize, y: usize, block: u32, shared_floats: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (x as u32, y as u32, 1),
        block_dim: (block, 1, 1),
        shared_mem_bytes: (shared_floats * 4) as u32,
    }
}

/// What every launch of a step shares.
struct Launch<'a, T: Element> {
    engine: &'a CudaPlanEngine<T>,
    plan: &'a Plan,
    layout: KernelLayout,
    d: u32,
    heads: u32,
}

impl<T: Element> Launch<'_, T> {
    fn failed(&self, e: cudarc::driver::DriverError) -> super::CudaEngineError {
        device_error(self.engine.device, "launching a kernel")(e.to_string())
    }
}

fn activation_code(a: Activation) -> u32 {
    match a {
        Activation::Relu => 0,
        Activation::Swish => 1,
        Activation::Gelu => 2,
        Activation::GeluTanh => 3,
    }
}

impl<T: Element> CudaBatch<T>
where
    CudaBlas: Gemm<T>,
{
    fn take(&mut self, b: Buffer) -> CudaSlice<T> {
        self.buffers[b.0]
            .take()
            .expect("a kernel reads and writes different buffers")
    }

    fn put(&mut self, b: Buffer, slice: CudaSlice<T>) {
        self.buffers[b.0] = Some(slice);
    }

    fn read(&self, b: Buffer) -> &CudaSlice<T> {
        self.buffers[b.0]
            .as_ref()
            .expect("a kernel reads and writes different buffers")
    }

    /// Launch one kernel of `plan`.
    pub(in crate::marian::backend::plan) fn run(
        &mut self,
        engine: &CudaPlanEngine<T>,
        plan: &Plan,
        kernel: &Kernel,
    ) -> Result<()> {
        let c = plan.control;
        let at = Launch {
            engine,
            plan,
            layout: KernelLayout {
                rows: plan.shape.rows as u32,
                tokens: c.tokens as u32,
                sentence: c.sentence as u32,
                ancestry: c.ancestry as u32,
                source_start: c.source_start as u32,
            },
            d: plan.dims.d as u32,
            heads: plan.dims.heads as u32,
        };
        match *kernel {
            Kernel::Embed {
                table,
                positions,
                out,
            } => self.embed(&at, table, positions, out),
            Kernel::Gemm {
                x,
                w,
                bias,
                out,
                rows,
                n_out,
                n_in,
            } => self.gemm(&at, x, w, bias, out, [rows, n_out, n_in]),
            Kernel::StoreKv { qkv, keys, values } => self.store_kv(&at, qkv, keys, values),
            Kernel::SelfAttention {
                qkv,
                keys,
                values,
                out,
            } => self.self_attention(&at, [qkv, keys, values], out),
            Kernel::CrossAttention { q, kv, out } => self.cross_attention(&at, q, kv, out),
            Kernel::BiasResidualNorm {
                x,
                bias,
                h,
                gamma,
                beta,
            } => self.bias_residual_norm(&at, x, h, [bias, gamma, beta]),
            Kernel::BiasActivation { x, bias } => self.bias_activation(&at, x, bias),
        }
    }

    fn embed(
        &mut self,
        at: &Launch<T>,
        table: Weight,
        positions: Weight,
        out: Buffer,
    ) -> Result<()> {
        let (engine, rows) = (at.engine, at.plan.shape.rows);
        let mut o = self.take(out);
        let mut b = engine.stream.launch_builder(engine.function("embed"));
        b.arg(engine.stored(table)).arg(engine.float(positions));
        b.arg(&at.plan.dims.embed_scale)
            .arg(&self.control)
            .arg(&at.layout)
            .arg(&at.d);
        b.arg(&mut o);
        // SAFETY: the arguments are `embed`'s, in its order, over buffers of the plan's sizes.
        unsafe { b.launch(grid(rows, 1, 256, 0)) }.map_err(|e| at.failed(e))?;
        self.put(out, o);
        Ok(())
    }

    fn gemm(
        &mut self,
        at: &Launch<T>,
        x: Buffer,
        w: Weight,
        bias: Option<Weight>,
        out: Buffer,
        [rows, n_out, n_in]: [usize; 3],
    ) -> Result<()> {
        let engine = at.engine;
        if out != at.plan.logits {
            self.product(engine, x, w, out, [rows, n_out, n_in])?;
            if let Some(bias) = bias {
                self.add_bias(engine, out, bias, rows, n_out)?;
            }
            return Ok(());
        }
        self.logits_product(engine, x, w, [rows, n_out, n_in])?;
        if let Some(bias) = bias {
            let n = n_out as u32;
            let mut b = engine
                .stream
                .launch_builder(engine.function("add_bias_f32"));
            b.arg(&mut self.logits).arg(engine.float(bias)).arg(&n);
            // SAFETY: `add_bias_f32`'s arguments.
            unsafe { b.launch(grid(n_out.div_ceil(256), rows, 256, 0)) }
                .map_err(|e| at.failed(e))?;
        }
        Ok(())
    }

    fn store_kv(
        &mut self,
        at: &Launch<T>,
        qkv: Buffer,
        keys: Buffer,
        values: Buffer,
    ) -> Result<()> {
        let engine = at.engine;
        let (mut k, mut v) = (self.take(keys), self.take(values));
        let mut b = engine.stream.launch_builder(engine.function("store_kv"));
        b.arg(self.read(qkv))
            .arg(&self.control)
            .arg(&at.layout)
            .arg(&at.d);
        b.arg(&mut k).arg(&mut v);
        // SAFETY: `store_kv`'s arguments.
        unsafe { b.launch(grid(at.plan.shape.rows, 1, 256, 0)) }.map_err(|e| at.failed(e))?;
        self.put(keys, k);
        self.put(values, v);
        Ok(())
    }

    fn self_attention(
        &mut self,
        at: &Launch<T>,
        [qkv, keys, values]: [Buffer; 3],
        out: Buffer,
    ) -> Result<()> {
        let (engine, plan) = (at.engine, at.plan);
        let mut o = self.take(out);
        let mut b = engine
            .stream
            .launch_builder(engine.function("self_attention"));
        b.arg(self.read(qkv))
            .arg(self.read(keys))
            .arg(self.read(values));
        b.arg(&self.control)
            .arg(&at.layout)
            .arg(&at.d)
            .arg(&at.heads);
        b.arg(&plan.dims.scaling).arg(&mut o);
        let cfg = grid(
            plan.shape.rows,
            plan.dims.heads,
            128,
            plan.shape.max_target + 32,
        );
        // SAFETY: `self_attention`'s arguments; its scores fit the shared memory asked.
        unsafe { b.launch(cfg) }.map_err(|e| at.failed(e))?;
        self.put(out, o);
        Ok(())
    }

    fn cross_attention(
        &mut self,
        at: &Launch<T>,
        q: Buffer,
        kv: Buffer,
        out: Buffer,
    ) -> Result<()> {
        let (engine, plan) = (at.engine, at.plan);
        let mut o = self.take(out);
        let mut b = engine
            .stream
            .launch_builder(engine.function("cross_attention"));
        b.arg(self.read(q))
            .arg(self.read(kv))
            .arg(&self.control)
            .arg(&at.layout);
        b.arg(&at.d)
            .arg(&at.heads)
            .arg(&plan.dims.scaling)
            .arg(&mut o);
        let cfg = grid(
            plan.shape.rows,
            plan.dims.heads,
            128,
            self.longest_source + 32,
        );
        // SAFETY: `cross_attention`'s arguments; the longest sentence's scores fit.
        unsafe { b.launch(cfg) }.map_err(|e| at.failed(e))?;
        self.put(out, o);
        Ok(())
    }

    fn bias_residual_norm(
        &mut self,
        at: &Launch<T>,
        x: Buffer,
        h: Buffer,
        [bias, gamma, beta]: [Weight; 3],
    ) -> Result<()> {
        let engine = at.engine;
        let mut states = self.take(h);
        let mut b = engine
            .stream
            .launch_builder(engine.function("bias_residual_norm"));
        b.arg(self.read(x))
            .arg(engine.stored(bias))
            .arg(&mut states);
        b.arg(engine.float(gamma))
            .arg(engine.float(beta))
            .arg(&at.d);
        let cfg = grid(at.plan.shape.rows, 1, 256, at.plan.dims.d + 32);
        // SAFETY: `bias_residual_norm`'s arguments; a row fits the shared memory asked.
        unsafe { b.launch(cfg) }.map_err(|e| at.failed(e))?;
        self.put(h, states);
        Ok(())
    }

    fn bias_activation(&mut self, at: &Launch<T>, x: Buffer, bias: Weight) -> Result<()> {
        let (engine, n) = (at.engine, at.plan.dims.ffn);
        let (n32, code) = (n as u32, activation_code(at.plan.dims.activation));
        let mut values = self.take(x);
        let mut b = engine
            .stream
            .launch_builder(engine.function("bias_activation"));
        b.arg(&mut values)
            .arg(engine.stored(bias))
            .arg(&n32)
            .arg(&code);
        // SAFETY: `bias_activation`'s arguments.
        unsafe { b.launch(grid(n.div_ceil(256), at.plan.shape.rows, 256, 0)) }
            .map_err(|e| at.failed(e))?;
        self.put(x, values);
        Ok(())
    }

    fn add_bias(
        &mut self,
        engine: &CudaPlanEngine<T>,
        out: Buffer,
        bias: Weight,
        rows: usize,
        n: usize,
    ) -> Result<()> {
        let mut o = self.take(out);
        let n32 = n as u32;
        let mut b = engine.stream.launch_builder(engine.function("add_bias"));
        b.arg(&mut o).arg(engine.stored(bias)).arg(&n32);
        // SAFETY: `add_bias`'s arguments.
        unsafe { b.launch(grid(n.div_ceil(256), rows, 256, 0)) }
            .map_err(|e| device_error(engine.device, "launching a kernel")(e.to_string()))?;
        self.put(out, o);
        Ok(())
    }

    /// out ← x · Wᵀ in the storage type (f32 accumulation): in cuBLAS's column-major terms
    /// outᵀ (n_out × rows) = W (given transposed) · xᵀ.
    fn product(
        &mut self,
        engine: &CudaPlanEngine<T>,
        x: Buffer,
        w: Weight,
        out: Buffer,
        [rows, n_out, n_in]: [usize; 3],
    ) -> Result<()> {
        let mut o = self.take(out);
        let cfg = GemmConfig {
            transa: cublas_sys::cublasOperation_t::CUBLAS_OP_T,
            transb: cublas_sys::cublasOperation_t::CUBLAS_OP_N,
            m: n_out as i32,
            n: rows as i32,
            k: n_in as i32,
            alpha: T::from_f32(1.0),
            lda: n_in as i32,
            ldb: n_in as i32,
            beta: T::from_f32(0.0),
            ldc: n_out as i32,
        };
        // SAFETY: the sizes are the plan's, within every buffer's length.
        unsafe {
            engine
                .blas
                .gemm(cfg, engine.stored(w), self.read(x), &mut o)
        }
        .map_err(|e| device_error(engine.device, "a cuBLAS product")(e.to_string()))?;
        self.put(out, o);
        Ok(())
    }

    /// The output projection straight into the f32 logits (f16 or f32 inputs, f32 compute).
    fn logits_product(
        &mut self,
        engine: &CudaPlanEngine<T>,
        x: Buffer,
        w: Weight,
        [rows, n_out, n_in]: [usize; 3],
    ) -> Result<()> {
        let stream = &engine.stream;
        let (one, zero) = (1.0f32, 0.0f32);
        let (a, _reading_a) = engine.stored(w).device_ptr(stream);
        let input = self.buffers[x.0]
            .as_ref()
            .expect("a kernel reads and writes different buffers");
        let (b, _reading_b) = input.device_ptr(stream);
        let (c, _writing_c) = self.logits.device_ptr_mut(stream);
        // SAFETY: the sizes are the plan's; the pointers live until the guards drop.
        unsafe {
            cublas_result::gemm_ex(
                *engine.blas.handle(),
                cublas_sys::cublasOperation_t::CUBLAS_OP_T,
                cublas_sys::cublasOperation_t::CUBLAS_OP_N,
                n_out as i32,
                rows as i32,
                n_in as i32,
                (&one) as *const f32 as *const _,
                a as *const _,
                T::CUDA_TYPE,
                n_in as i32,
                b as *const _,
                T::CUDA_TYPE,
                n_in as i32,
                (&zero) as *const f32 as *const _,
                c as *mut _,
                cublas_sys::cudaDataType::CUDA_R_32F,
                n_out as i32,
                cublas_sys::cublasComputeType_t::CUBLAS_COMPUTE_32F,
                cublas_sys::cublasGemmAlgo_t::CUBLAS_GEMM_DEFAULT,
            )
        }
        .map_err(|e| device_error(engine.device, "a cuBLAS product")(e.to_string()))
    }
}
