// Fused optimizer steps, one thread per element, parameter and state updated in place through Strided views (any
// non-overlapping layout). The launcher folds every mode (PyTorch / ONNX, Nesterov, dampening, decoupled weight decay,
// learning-rate decay, bias corrections) into the scalar coefficients below on the host in double, exactly as
// src/Tessera.Cpu/Kernels/CpuKernels.Optimizer.cs does, so the kernels carry only the per-element math of
// src/Tessera.Cpu/Kernels/Optimizer/OptimizerMath.cs.

// p <- p - lr*(g + wd*p).
KERNEL void sgd_step_f32(GLOBAL float* p, Strided pv, GLOBAL const float* g, Strided gv, float lr, float wd, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 ip = strided_at(pv, i);
        float pi = p[ip];
        p[ip] = pi - lr * (g[strided_at(gv, i)] + wd * pi);
    }
}

// g' = g + wd*p; v <- decay*v + scale*g'; p <- p - lr*(nesterov ? g' + mu*v : v).
KERNEL void momentum_step_f32(GLOBAL float* p, Strided pv, GLOBAL const float* g, Strided gv, GLOBAL float* v, Strided vv,
    float lr, float wd, float decay, float scale, float mu, int nesterov, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 ip = strided_at(pv, i), iv = strided_at(vv, i);
        float pi = p[ip];
        float gr = g[strided_at(gv, i)] + wd * pi;
        float vi = decay * v[iv] + scale * gr;
        v[iv] = vi;
        p[ip] = pi - lr * (nesterov ? gr + mu * vi : vi);
    }
}

// g' = g + l2*p; m <- b1*m + ob1*g'; v <- b2*v + ob2*g'^2; p <- (p*pre - step*m/(sqrt(v)*c2 + eps))*post.
KERNEL void adam_step_f32(GLOBAL float* p, Strided pv, GLOBAL const float* g, Strided gv, GLOBAL float* m, Strided mv,
    GLOBAL float* v, Strided vv, float l2, float pre, float b1, float ob1, float b2, float ob2, float c2, float eps,
    float step, float post, i64 n)
{
    FOR_EACH(i, n)
    {
        i64 ip = strided_at(pv, i), im = strided_at(mv, i), iv = strided_at(vv, i);
        float pi = p[ip];
        float gr = g[strided_at(gv, i)] + l2 * pi;
        float mi = b1 * m[im] + ob1 * gr;
        float vi = b2 * v[iv] + ob2 * (gr * gr);
        m[im] = mi;
        v[iv] = vi;
        p[ip] = (pi * pre - step * mi / (sqrtf(vi) * c2 + eps)) * post;
    }
}
