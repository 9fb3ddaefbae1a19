<?php

return [
    'default' => 'sendgrid',
    'sendgrid' => [
        'api_key' => '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',
        'from' => ['address' => 'noreply@acme.io', 'name' => 'Acme'],
    ],
];
