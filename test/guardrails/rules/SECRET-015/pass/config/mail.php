<?php

return [
    'default' => 'sendgrid',
    'sendgrid' => [
        'api_key' => env('SENDGRID_API_KEY'),
        'from' => ['address' => 'noreply@acme.io', 'name' => 'Acme'],
    ],
];
