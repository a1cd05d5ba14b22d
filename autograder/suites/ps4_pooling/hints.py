"""The misconceptions the ps4_pooling suite recognises: key -> hint (see feedback.MISCONCEPTIONS)."""
from autograder.text.i18n import N_

MISCONCEPTIONS = {
    "default_mode_not_max": N_("el modo por defecto tiene que ser 'max' (mode='max' en la "
                               "firma), como nn.MaxPool2d"),
    "modes_swapped": N_("intercambiaste los modos: 'max' es el máximo y 'avg' el promedio"),
    "avg_as_sum": N_("calculaste la suma de cada ventana en lugar del promedio (falta dividir "
                     "por p_h * p_w)"),
    "min_instead_of_max": N_("calculaste el mínimo de cada ventana en lugar del máximo"),
    "no_value_error": N_("con un modo desconocido hay que lanzar ValueError (la versión del "
                         "curso devolvía ceros en silencio: un error)"),
    "default_stride_1": N_("con stride=None el paso tiene que ser igual al tamaño de la ventana "
                           "(como en nn.MaxPool2d); usaste paso 1"),
    "max_zero_padding": N_("en el pooling máximo rellenaste con ceros: si los valores son "
                           "negativos el cero del borde gana. El relleno del máximo tiene que "
                           "ser -inf"),
    "avg_excludes_padding": N_("en el promedio no contaste los ceros del relleno: F.avg_pool2d "
                               "(count_include_pad=True) divide siempre por p_h * p_w"),
}
