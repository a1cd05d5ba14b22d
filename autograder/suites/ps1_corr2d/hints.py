"""The misconceptions the ps1_corr2d suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.text.i18n import N_

MISCONCEPTIONS = {
    "flipped_one_axis": N_("volteaste el kernel en un solo eje; hay que voltearlo en los dos"),
    "kernel_transposed": N_("usaste el kernel transpuesto (intercambiaste sus filas y columnas)"),
    "not_flipped": N_("no volteaste el kernel: la convolución estricta voltea K en ambos ejes "
                      "(torch.flip(K, dims=(0, 1))) y luego correlaciona"),
    "mean_loss": N_("usaste el error cuadrático medio: el ejercicio usa la suma de los errores "
                    "al cuadrado"),
    "no_zero_grad_manual": N_("no pusiste el gradiente a cero entre iteraciones, así que se "
                              "acumula (usa conv.zero_grad() o weight.grad.zero_())"),
    "gradient_ascent": N_("sumaste el gradiente en lugar de restarlo: el descenso de gradiente "
                          "es w <- w - lr * grad"),
    "lr_ignored": N_("tu función no usa el parámetro lr (con lr=0 el kernel igual cambió)"),
    "iters_ignored": N_("tu función no hace num_iters iteraciones"),
    "defaults_changed": N_("cambiaste los valores por defecto de la firma: el enunciado fija "
                           "lr=3e-2 y num_iters=10 (quien llame learn_kernel(X, Y, kernel_size) "
                           "espera esos valores)"),
}
