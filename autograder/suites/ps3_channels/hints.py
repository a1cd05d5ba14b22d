"""The misconceptions the ps3_channels suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.text.i18n import N_

MISCONCEPTIONS = {
    "channels_not_summed": N_("no sumaste sobre los canales de entrada: hay que sumar los "
                              "resultados de todos los canales en un único mapa"),
    "channels_averaged": N_("promediaste los canales de entrada en lugar de sumarlos"),
    "first_channel_only": N_("solo usaste el primer canal de entrada"),
    "stack_axis": N_("apilaste los canales de salida en el eje equivocado: deben ir en la "
                     "dimensión 0, con forma (c_o, h', w')"),
    "kernel_axes_mixed": N_("mezclaste los ejes de K al convertirlo en matriz: K de forma (c_o, "
                            "c_i, 1, 1) tiene que quedar como (c_o, c_i)"),
    "per_pixel_loop": N_("tu función recorre los píxeles uno por uno: la convolución 1x1 se "
                         "puede escribir como un único producto de matrices (K como (c_o, c_i) "
                         "por X como (c_i, h*w))"),
}
