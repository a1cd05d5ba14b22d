"""The misconceptions the ps2_conv2d suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.text.i18n import N_

MISCONCEPTIONS = {
    "weight_not_parameter": N_("weight no es un parámetro registrado de la capa: créalo con "
                               "nn.Parameter(torch.rand(kernel_size)) y asígnalo a self.weight"),
    "bias_not_parameter": N_("bias no es un parámetro registrado de la capa: créalo con "
                             "nn.Parameter(torch.zeros(1)) y asígnalo a self.bias"),
    "weight_not_random": N_("el kernel no empieza con valores aleatorios"),
    "bias_not_zero": N_("el sesgo tiene que empezar en cero"),
    "bias_missing": N_("forward no suma el sesgo (bias)"),
    "forward_flipped": N_("forward volteó el kernel (una convolución estricta en lugar de corr2d)"),
    "missing_plus_one": N_("falta el + 1 de la fórmula floor((n + 2p - k) / s) + 1"),
    "ceil_division": N_("redondeaste hacia arriba: la fórmula usa la división entera hacia abajo"),
}
